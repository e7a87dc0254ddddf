import { Module } from '@nestjs/common';
import { OrchestratorService } from './orchestrator.service';
import { stageRunnerProvider } from './runners/runner.provider';
import { StageLoop } from './stage-loop';
import { TimersService } from './timers.service';

@Module({
  providers: [stageRunnerProvider, StageLoop, OrchestratorService, TimersService],
  exports: [OrchestratorService],
})
export class OrchestratorModule {}
