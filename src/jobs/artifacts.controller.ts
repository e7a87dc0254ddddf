import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/dto/api-errors.decorator';
import { JobIdPipe } from '../common/job-id.pipe';
import { ArtifactFiles } from './artifact-files';
import { ArtifactSchema } from './dto/job.schema';
import { ArtifactView } from './job.views';
import { JobsService } from './jobs.service';

@ApiTags('artifacts')
@ApiBearerAuth()
@ApiErrors(401, 404, 429)
@Controller('jobs/:id/artifacts')
export class ArtifactsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly files: ArtifactFiles,
  ) {}

  @Get()
  @ApiOkResponse({ type: [ArtifactSchema] })
  async list(@Param('id', JobIdPipe) jobId: string): Promise<ArtifactView[]> {
    return (await this.jobs.get(jobId)).artifacts;
  }

  @Get('file')
  @ApiOperation({ summary: "An artifact's bytes (only inside the job's run dir)" })
  @ApiQuery({ name: 'path', example: 'artifacts/script.md' })
  @ApiProduces('application/octet-stream')
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' } })
  @ApiErrors(400)
  async file(@Param('id', JobIdPipe) jobId: string, @Query('path') path: unknown): Promise<StreamableFile> {
    await this.jobs.get(jobId);
    return this.files.open(jobId, path);
  }
}
