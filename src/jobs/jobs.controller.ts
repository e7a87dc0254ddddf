import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { JobIdPipe } from '../common/job-id.pipe';
import { CountsAsJobCreation } from '../security/rate-limit.guard';
import { CreateJobDto } from './dto/create-job.dto';
import { OperatorDto } from './dto/operator.dto';
import { parseListJobsQuery } from './dto/list-jobs.query';
import { JobView } from './job.views';
import { JobsService } from './jobs.service';

@Controller('jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @CountsAsJobCreation()
  create(@Body() body: CreateJobDto): Promise<JobView> {
    return this.jobs.create(body);
  }

  @Get()
  list(@Query() query: { status?: unknown; limit?: unknown }): Promise<JobView[]> {
    return this.jobs.list(parseListJobsQuery(query));
  }

  @Get(':id')
  get(@Param('id', JobIdPipe) id: string): Promise<JobView> {
    return this.jobs.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id', JobIdPipe) id: string, @Body() body: OperatorDto): Promise<{ message: string }> {
    return this.jobs.cancel(id, body.operator);
  }
}
