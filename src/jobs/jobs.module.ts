import { Module } from '@nestjs/common';
import { ArtifactFiles } from './artifact-files';
import { ArtifactsController } from './artifacts.controller';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({
  controllers: [JobsController, ArtifactsController],
  providers: [JobsService, ArtifactFiles],
  exports: [JobsService],
})
export class JobsModule {}
