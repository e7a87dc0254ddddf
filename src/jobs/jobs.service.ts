import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JobNotFound } from '../domain/errors';
import { JobFiles } from '../domain/job-files.port';
import { JobLifecycle } from '../lifecycle/job-lifecycle.service';
import { Store } from '../store/store.port';
import { CreateJobDto } from './dto/create-job.dto';
import { ListJobsQuery } from './dto/list-jobs.query';
import { JobView, toJobView } from './job.views';

export const DEFAULT_OPERATOR = 'admin';

@Injectable()
export class JobsService {
  constructor(
    private readonly store: Store,
    private readonly lifecycle: JobLifecycle,
    private readonly files: JobFiles,
  ) {}

  /**
   * Creates the run dir and brief, then the job, its gates and `job_created` in one unit of work;
   * answers once state.json is written (as every action that changes a job, docs/API.md).
   */
  async create(dto: CreateJobDto): Promise<JobView> {
    const id = randomUUID();
    const now = new Date().toISOString();
    const operator = dto.operator ?? DEFAULT_OPERATOR;
    const brief = compileBrief(dto);
    await this.files.create(id, brief);
    const cfg = {
      brief,
      render: objectOr(brief.render),
      models: objectOr(brief.models),
      modules: objectOr(brief.modules),
      captured_at: now,
      ...(dto.meta ? { meta: dto.meta } : {}),
    };
    await this.lifecycle.create({ id, slug: dto.slug, intent: dto.intent, cfg, operator });
    // The job as created: the orchestrator may claim it while the file is written.
    const view = await this.get(id);
    await this.files.written(id);
    return view;
  }

  async list(query: ListJobsQuery): Promise<JobView[]> {
    const jobs = await this.store.listJobs({ status: query.status, limit: query.limit });
    return jobs.map(toJobView);
  }

  async get(id: string): Promise<JobView> {
    const job = await this.store.job(id);
    if (!job) throw new JobNotFound(id);
    return toJobView(job);
  }

  async cancel(id: string, operator = DEFAULT_OPERATOR): Promise<{ message: string }> {
    await this.lifecycle.cancel(id, operator);
    await this.files.written(id);
    return { message: 'Job canceled successfully' };
  }

  async remove(id: string, operator = DEFAULT_OPERATOR): Promise<{ message: string }> {
    await this.lifecycle.delete(id, operator);
    return { message: 'Job deleted successfully' };
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
