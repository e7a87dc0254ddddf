import { Stage } from '../common/stages';
import { EventInput } from './event.types';

/**
 * Builders for every event of SPEC §5, so type, stage, status, message and payload always agree
 * (where a payload has stage/status keys they equal the event's own).
 */
export const JobEvents = {
  created: (jobId: string, slug: string, operator: string): EventInput => ({
    jobId,
    type: 'job_created',
    stage: null,
    status: 'queued',
    message: `Job created: ${slug}`,
    payload: { operator, slug },
  }),
  started: (jobId: string): EventInput => ({
    jobId,
    type: 'job_started',
    stage: 'outline',
    status: 'running',
    message: 'Job started',
    payload: { stage: 'outline', status: 'running' },
  }),
  resumed: (jobId: string, stage: Stage, reason?: string): EventInput => ({
    jobId,
    type: 'job_resumed',
    stage,
    status: 'running',
    message: reason ? `Job resumed at ${stage} (${reason})` : `Job resumed at ${stage}`,
    payload: { stage, status: 'running', ...(reason ? { reason } : {}) },
  }),
  completed: (jobId: string, finalStage: Stage): EventInput => ({
    jobId,
    type: 'job_completed',
    stage: null,
    status: 'completed',
    message: 'Job completed',
    payload: { status: 'completed', final_stage: finalStage },
  }),
  failed: (jobId: string, error: string): EventInput => ({
    jobId,
    type: 'job_failed',
    stage: null,
    status: 'failed',
    message: `Job failed: ${error}`,
    payload: { status: 'failed', error },
  }),
  canceled: (jobId: string, operator: string): EventInput => ({
    jobId,
    type: 'job_canceled',
    stage: null,
    status: 'canceled',
    message: `Job canceled by ${operator}`,
    payload: { status: 'canceled', operator },
  }),
};
