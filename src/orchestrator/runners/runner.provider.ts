import { Provider } from '@nestjs/common';
import { OperatorConfig } from '../../config/operator-config';
import { CommandRunner } from './command.runner';
import { SimulateRunner } from './simulate.runner';

export const STAGE_RUNNER = Symbol('StageRunner');

/** pipeline.runner picks the runner: `simulate` (default) or `command`. */
export const stageRunnerProvider: Provider = {
  provide: STAGE_RUNNER,
  inject: [OperatorConfig],
  useFactory: (config: OperatorConfig) =>
    config.pipeline.runner === 'command'
      ? new CommandRunner(config.pipeline.commands)
      : new SimulateRunner(config.pipeline.simulate.stage_seconds),
};
