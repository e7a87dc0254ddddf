import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { JobsModule } from '../jobs/jobs.module';
import { OrchestratorModule } from '../orchestrator/orchestrator.module';
import { GatesController } from './gates.controller';
import { GatesService } from './gates.service';
import { PatchService } from './patch.service';
import { PatchesController } from './patches.controller';
import { ResumeService } from './resume.service';

@Module({
  imports: [EventsModule, JobsModule, OrchestratorModule],
  controllers: [GatesController, PatchesController],
  providers: [GatesService, ResumeService, PatchService],
})
export class GatesModule {}
