import { Module } from '@nestjs/common';
import { ArtifactFiles } from './artifact-files';
import { ArtifactsController } from './artifacts.controller';
import { JobsController } from './jobs.controller';
import { JobsRetention } from './jobs-retention.service';
import { JobsService } from './jobs.service';

@Module({
  controllers: [JobsController, ArtifactsController],
  providers: [JobsService, ArtifactFiles, JobsRetention],
  exports: [JobsService],
})
export class JobsModule {}
