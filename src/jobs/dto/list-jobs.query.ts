import { BadRequestException } from '@nestjs/common';
import { JOB_STATUSES, JobStatus, isJobStatus } from '../../domain/stages';
import { clip } from '../../common/text';

export const DEFAULT_JOB_LIMIT = 100;
export const MAX_JOB_LIMIT = 1000;

export interface ListJobsQuery {
  status?: JobStatus;
  limit: number;
}

export function parseListJobsQuery(raw: { status?: unknown; limit?: unknown }): ListJobsQuery {
  let status: JobStatus | undefined;
  if (raw.status !== undefined && raw.status !== '') {
    if (!isJobStatus(raw.status)) {
      throw new BadRequestException(
        `status must be one of ${JOB_STATUSES.join(', ')}, got "${clip(String(raw.status))}"`,
      );
    }
    status = raw.status;
  }
  let limit = DEFAULT_JOB_LIMIT;
  if (raw.limit !== undefined && raw.limit !== '') {
    limit = typeof raw.limit === 'string' && /^\d+$/.test(raw.limit) ? Number(raw.limit) : NaN;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_JOB_LIMIT) {
      throw new BadRequestException(
        `limit must be an integer from 1 to ${MAX_JOB_LIMIT}, got "${clip(String(raw.limit))}"`,
      );
    }
  }
  return { status, limit };
}
