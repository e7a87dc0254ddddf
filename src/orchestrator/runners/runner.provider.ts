import { Provider } from '@nestjs/common';
import { AdminToken } from '../../config/config.module';
import { OperatorConfig } from '../../config/operator-config';
import { CommandRunner } from './command.runner';
import { SimulateRunner } from './simulate.runner';

export const STAGE_RUNNER = Symbol('StageRunner');

/** pipeline.runner picks the runner: `simulate` (default) or `command`. */
export const stageRunnerProvider: Provider = {
  provide: STAGE_RUNNER,
  inject: [OperatorConfig, AdminToken],
  useFactory: (config: OperatorConfig, token: AdminToken) =>
    config.pipeline.runner === 'command'
      ? new CommandRunner(config.pipeline.commands, { env: config.pipeline.command_env, secrets: [token.value] })
      : new SimulateRunner(config.pipeline.simulate.stage_seconds),
};
