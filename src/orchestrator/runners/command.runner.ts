// TEMPORARY STUB (lead): replaced by the real command runner.
import { Stage } from '../../common/stages';
import { StageContext, StageFailure, StageResult, StageRunner } from './stage-runner';
export class CommandRunner implements StageRunner {
  constructor(private readonly commands: Partial<Record<Stage, string>>) {}
  async run(_context: StageContext): Promise<StageResult> {
    throw new StageFailure(`not implemented ${Object.keys(this.commands).length}`);
  }
}
