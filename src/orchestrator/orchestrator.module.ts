import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { JobsModule } from '../jobs/jobs.module';
import { ArtifactRegistry } from './artifact-registry';
import { DecisionFiles } from './decision-files';
import { GateProgression } from './gate-progression';
import { OrchestratorService } from './orchestrator.service';
import { stageRunnerProvider } from './runners/runner.provider';
import { StageLoop } from './stage-loop';
import { TimersService } from './timers.service';

@Module({
  imports: [EventsModule, JobsModule],
  providers: [
    stageRunnerProvider,
    ArtifactRegistry,
    DecisionFiles,
    GateProgression,
    StageLoop,
    OrchestratorService,
    TimersService,
  ],
  exports: [OrchestratorService, GateProgression, DecisionFiles, ArtifactRegistry],
})
export class OrchestratorModule {}
