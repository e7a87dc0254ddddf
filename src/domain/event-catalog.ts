import { Stage } from './stages';
import { EventInput } from './events';

/**
 * Builders for every event of docs/API.md, "Jobs", so type, stage, status, message and payload always agree
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
  /** The job and its run dir are gone; this event stays on the global stream (its own stream has nothing left). */
  deleted: (jobId: string, status: string, operator: string): EventInput => ({
    jobId,
    type: 'job_deleted',
    stage: null,
    status: null,
    message: `Job deleted by ${operator}`,
    payload: { status, operator },
  }),
};

export const StageEvents = {
  /** `instanceId`: the instance that runs the stage (cluster mode: one of several). */
  started: (jobId: string, stage: Stage, instanceId: string): EventInput => ({
    jobId,
    type: 'stage_started',
    stage,
    status: 'running',
    message: `Started ${stage} stage`,
    payload: { stage, status: 'running', instance_id: instanceId },
  }),
  log: (jobId: string, stage: Stage, stream: 'stdout' | 'stderr', line: string): EventInput => ({
    jobId,
    type: 'stage_log',
    stage,
    status: 'running',
    message: line,
    payload: { stream, line },
  }),
  artifactCreated: (jobId: string, stage: Stage, kind: string, path: string): EventInput => ({
    jobId,
    type: 'artifact_created',
    stage,
    status: null,
    message: `Artifact created: ${path}`,
    payload: { stage, artifact_type: kind, path },
  }),
  completed: (jobId: string, stage: Stage, result: Record<string, unknown>): EventInput => ({
    jobId,
    type: 'stage_completed',
    stage,
    status: 'completed',
    message: `Completed ${stage} stage`,
    payload: { stage, status: 'completed', result },
  }),
  failed: (jobId: string, stage: Stage, error: string): EventInput => ({
    jobId,
    type: 'stage_failed',
    stage,
    status: 'failed',
    message: `Stage ${stage} failed: ${error}`,
    payload: { stage, status: 'failed', error },
  }),
};

export const GateEvents = {
  pause: (jobId: string, stage: Stage, timeoutSeconds: number | null): EventInput => ({
    jobId,
    type: 'gate_pause',
    stage,
    status: 'needs_approval',
    message: `Waiting for approval of ${stage}`,
    payload: {
      stage,
      gate_type: 'hitl',
      gate_id: `${jobId}:${stage}`,
      ...(timeoutSeconds !== null ? { timeout_seconds: timeoutSeconds } : {}),
    },
  }),
  approved: (jobId: string, stage: Stage, operator: string, notes: string | null, patch: unknown): EventInput => ({
    jobId,
    type: 'gate_approved',
    stage,
    status: 'approved',
    message: `Gate ${stage} approved by ${operator}`,
    payload: { stage, status: 'approved', operator, notes, ...(patch ? { patch } : {}) },
  }),
  rejected: (jobId: string, stage: Stage, operator: string, notes: string | null, patch: unknown): EventInput => ({
    jobId,
    type: 'gate_rejected',
    stage,
    status: 'rejected',
    message: `Gate ${stage} rejected by ${operator}`,
    payload: { stage, status: 'rejected', operator, notes, ...(patch ? { patch } : {}) },
  }),
  autoApproved: (jobId: string, stage: Stage, reason: string): EventInput => ({
    jobId,
    type: 'gate_auto_approved',
    stage,
    status: 'auto_approved',
    message: `Gate ${stage} auto-approved (${reason})`,
    payload: { stage, status: 'auto_approved', reason },
  }),
  patchApplied: (jobId: string, stage: Stage, operator: string, patch: unknown, direct: boolean): EventInput => ({
    jobId,
    type: direct ? 'patch_applied_direct' : 'patch_applied',
    stage,
    status: null,
    message: `Patch applied to ${stage}${direct ? ' (direct)' : ''} by ${operator}`,
    payload: { stage, operator, patch },
  }),
};
