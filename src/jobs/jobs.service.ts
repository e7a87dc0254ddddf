import { randomUUID } from 'node:crypto';
import { Injectable, NotFoundException } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { FindOptionsWhere, Repository } from 'typeorm';
import { writeJsonAtomic } from '../common/atomic-write';
import { RunPaths } from '../config/run-paths';
import { JobEntity } from '../database/entities/job.entity';
import { JobEvents } from '../domain/event-catalog';
import { EventLogger } from '../events/event-logger.service';
import { CreateJobDto } from './dto/create-job.dto';
import { ListJobsQuery } from './dto/list-jobs.query';
import { ACTIVE_STATUSES, JobRecords } from './job-records';
import { JobView, toJobView } from './job.views';
import { StateFiles } from './state-files';

export const DEFAULT_OPERATOR = 'admin';

@Injectable()
export class JobsService {
  constructor(
    @InjectRepository(JobEntity) private readonly jobs: Repository<JobEntity>,
    private readonly records: JobRecords,
    private readonly events: EventLogger,
    private readonly paths: RunPaths,
    private readonly states: StateFiles,
  ) {}

  /** Creates the run dir and brief, then the job, its gates and `job_created` in one transaction. */
  async create(dto: CreateJobDto): Promise<JobView> {
    const id = randomUUID();
    const now = new Date().toISOString();
    const operator = dto.operator ?? DEFAULT_OPERATOR;
    const brief = compileBrief(dto);
    writeJsonAtomic(this.paths.briefFile(id), brief);
    const cfg = {
      brief,
      render: objectOr(brief.render),
      models: objectOr(brief.models),
      modules: objectOr(brief.modules),
      captured_at: now,
      ...(dto.meta ? { meta: dto.meta } : {}),
    };
    this.events.emit(JobEvents.created(id, dto.slug, operator), () =>
      this.records.insertJob({ id, slug: dto.slug, intent: dto.intent, cfg, operator, now }),
    );
    await this.states.refresh(id);
    return this.get(id);
  }

  async list(query: ListJobsQuery): Promise<JobView[]> {
    const where: FindOptionsWhere<JobEntity> = query.status ? { status: query.status } : {};
    const jobs = await this.jobs.find({
      where,
      relations: { gates: true, artifacts: true },
      order: { seq: 'DESC' },
      take: query.limit,
    });
    return jobs.map(toJobView);
  }

  async get(id: string): Promise<JobView> {
    const job = await this.jobs.findOne({ where: { id }, relations: { gates: true, artifacts: true } });
    if (!job) throw new NotFoundException(`Job ${id} not found`);
    return toJobView(job);
  }

  async cancel(id: string, operator = DEFAULT_OPERATOR): Promise<{ message: string }> {
    this.events.emit(JobEvents.canceled(id, operator), () =>
      this.records.transition(id, ACTIVE_STATUSES, 'canceled', new Date().toISOString()),
    );
    await this.states.refresh(id);
    return { message: 'Job canceled successfully' };
  }
}

/** compiled_brief.json: slug and intent, the brief (object, or text as `{text}`), then brief_config over it. */
function compileBrief(dto: CreateJobDto): Record<string, unknown> {
  const brief = typeof dto.brief === 'string' ? { text: dto.brief } : (dto.brief ?? {});
  return { slug: dto.slug, intent: dto.intent, ...brief, ...(dto.brief_config ?? {}) };
}

function objectOr(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
