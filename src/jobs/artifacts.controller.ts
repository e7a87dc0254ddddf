import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { JobIdPipe } from '../common/job-id.pipe';
import { ArtifactFiles } from './artifact-files';
import { ArtifactView } from './job.views';
import { JobsService } from './jobs.service';

@Controller('jobs/:id/artifacts')
export class ArtifactsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly files: ArtifactFiles,
  ) {}

  @Get()
  async list(@Param('id', JobIdPipe) jobId: string): Promise<ArtifactView[]> {
    return (await this.jobs.get(jobId)).artifacts;
  }

  @Get('file')
  async file(@Param('id', JobIdPipe) jobId: string, @Query('path') path: unknown): Promise<StreamableFile> {
    await this.jobs.get(jobId);
    return this.files.open(jobId, path);
  }
}
