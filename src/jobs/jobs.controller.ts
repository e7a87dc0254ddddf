import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/dto/api-errors.decorator';
import { MessageSchema } from '../common/dto/error.schema';
import { JobIdPipe } from '../common/job-id.pipe';
import { CountsAsJobCreation } from '../security/rate-limit.guard';
import { CreateJobDto } from './dto/create-job.dto';
import { JobSchema } from './dto/job.schema';
import { parseListJobsQuery } from './dto/list-jobs.query';
import { OperatorDto } from './dto/operator.dto';
import { JobView } from './job.views';
import { JobsService } from './jobs.service';

@ApiTags('jobs')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a job; it is queued and starts by itself' })
  @ApiCreatedResponse({ type: JobSchema })
  @ApiErrors(400, 413)
  @CountsAsJobCreation()
  create(@Body() body: CreateJobDto): Promise<JobView> {
    return this.jobs.create(body);
  }

  @Get()
  @ApiOperation({ summary: 'Jobs, newest first' })
  @ApiQuery({ name: 'status', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1–1000, default 100' })
  @ApiOkResponse({ type: [JobSchema] })
  @ApiErrors(400)
  list(@Query() query: { status?: unknown; limit?: unknown }): Promise<JobView[]> {
    return this.jobs.list(parseListJobsQuery(query));
  }

  @Get(':id')
  @ApiOkResponse({ type: JobSchema })
  @ApiErrors(404)
  get(@Param('id', JobIdPipe) id: string): Promise<JobView> {
    return this.jobs.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a job that is not finished' })
  @ApiOkResponse({ type: MessageSchema })
  @ApiErrors(404, 409)
  cancel(@Param('id', JobIdPipe) id: string, @Body() body: OperatorDto): Promise<{ message: string }> {
    return this.jobs.cancel(id, body.operator);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete a finished job: its record, events and run dir; a job_deleted event stays on the global stream',
  })
  @ApiQuery({ name: 'operator', required: false })
  @ApiOkResponse({ type: MessageSchema })
  @ApiErrors(404, 409)
  remove(@Param('id', JobIdPipe) id: string, @Query() query: OperatorDto): Promise<{ message: string }> {
    return this.jobs.remove(id, query.operator);
  }
}
