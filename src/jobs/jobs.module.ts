import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { ArtifactFiles } from './artifact-files';
import { ArtifactsController } from './artifacts.controller';
import { JobRecords } from './job-records';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { StateFiles } from './state-files';

@Module({
  imports: [EventsModule],
  controllers: [JobsController, ArtifactsController],
  providers: [JobsService, JobRecords, StateFiles, ArtifactFiles],
  exports: [JobsService, JobRecords, StateFiles],
})
export class JobsModule {}
