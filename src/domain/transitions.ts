import { IllegalTransition } from './errors';
import { EventType } from './events';
import { ACTIVE_STATUSES, JOB_STATUSES, JobStatus, TERMINAL_STATUSES } from './stages';

/** What the lifecycle can be asked to do to a job (an operator's command or a stage's outcome). */
export const COMMANDS = [
  'create',
  'start',
  'start_stage',
  'log',
  'record_artifact',
  'next_stage',
  'pause_at_gate',
  'complete',
  'fail_stage',
  'approve',
  'approve_with_patch',
  'approve_last',
  'approve_last_with_patch',
  'auto_approve',
  'auto_approve_last',
  'approve_in_advance',
  'reject',
  'resume',
  'resume_with_patch',
  'resume_last_with_patch',
  'cancel',
  'fail',
  'recover',
  'apply_patch_direct',
  'delete',
] as const;
export type Command = (typeof COMMANDS)[number];

export interface Transition {
  command: Command;
  /** The statuses the job may be in; `null` only for create (no job yet). */
  from: readonly (JobStatus | null)[];
  /** The status after; `null` keeps the status the job had. */
  to: JobStatus | null;
  /** The events the command appends, in order, in its one unit of work. */
  events: readonly EventType[];
  /** When it happens, in an operator's words (docs/OPERATIONS.md renders this table). */
  on: string;
  /** The participle in a refusal: "only a paused job can be <resumed>". */
  verb: string;
}

/**
 * The job state machine as data: every change of a job's status, and every event a command appends,
 * is a row here. The lifecycle service looks each command up before it writes; a command from a
 * status with no row is an IllegalTransition (409).
 */
export const TRANSITIONS: readonly Transition[] = [
  row('create', [null], 'queued', ['job_created'], '`POST /jobs`', 'created'),
  row('start', ['queued'], 'running', ['job_started', 'stage_started'], 'a free slot (first time)', 'started'),
  row(
    'start_stage',
    ['queued'],
    'running',
    ['stage_started'],
    'a free slot (after a gate, resume or restart)',
    'started',
  ),
  row('log', ['running'], null, ['stage_log'], 'the stage prints a line', 'logged'),
  row('record_artifact', ['running'], null, ['artifact_created'], 'the stage writes a file', 'given artifacts'),
  row(
    'next_stage',
    ['running'],
    'running',
    ['stage_completed', 'stage_started'],
    'stage done, gate not required or approved in advance',
    'moved on',
  ),
  row(
    'pause_at_gate',
    ['running'],
    'needs_approval',
    ['stage_completed', 'gate_pause'],
    'stage done, required gate not yet approved',
    'paused at a gate',
  ),
  row('complete', ['running'], 'completed', ['stage_completed', 'job_completed'], 'last stage done', 'completed'),
  row(
    'fail_stage',
    ['running'],
    'failed',
    ['stage_failed', 'job_failed'],
    'stage error, stage timeout or `job_timeout_hours` passed',
    'failed',
  ),
  row('approve', ['needs_approval'], 'queued', ['gate_approved'], 'approve (next stage)', 'approved'),
  row(
    'approve_with_patch',
    ['needs_approval'],
    'queued',
    ['gate_approved', 'patch_applied'],
    'approve with a patch (next stage)',
    'approved',
  ),
  row(
    'approve_last',
    ['needs_approval'],
    'completed',
    ['gate_approved', 'job_completed'],
    'approve of the last stage',
    'approved',
  ),
  row(
    'approve_last_with_patch',
    ['needs_approval'],
    'completed',
    ['gate_approved', 'patch_applied', 'job_completed'],
    'approve of the last stage with a patch',
    'approved',
  ),
  row(
    'auto_approve',
    ['needs_approval'],
    'queued',
    ['gate_auto_approved'],
    'the auto-approve timer (next stage)',
    'approved',
  ),
  row(
    'auto_approve_last',
    ['needs_approval'],
    'completed',
    ['gate_auto_approved', 'job_completed'],
    'the auto-approve timer at the last stage',
    'approved',
  ),
  row(
    'approve_in_advance',
    ACTIVE_STATUSES,
    null,
    ['gate_approved'],
    'approve of a later stage (or the running one)',
    'approved',
  ),
  row('reject', ['needs_approval'], 'paused', ['gate_rejected'], 'reject', 'rejected'),
  row('resume', ['paused'], 'queued', ['job_resumed'], 'resume, no patch (same stage, gate pending again)', 'resumed'),
  row(
    'resume_with_patch',
    ['paused'],
    'queued',
    ['job_resumed', 'patch_applied'],
    'resume, rejection had a patch (next stage)',
    'resumed',
  ),
  row(
    'resume_last_with_patch',
    ['paused'],
    'completed',
    ['job_resumed', 'patch_applied', 'job_completed'],
    'resume of the last stage, rejection had a patch',
    'resumed',
  ),
  row('cancel', ACTIVE_STATUSES, 'canceled', ['job_canceled'], 'cancel (nothing follows it)', 'canceled'),
  row(
    'fail',
    ['queued', 'needs_approval', 'paused'],
    'failed',
    ['job_failed'],
    '`job_timeout_hours` passed, or the job cannot start',
    'failed',
  ),
  row(
    'recover',
    ['running'],
    'queued',
    ['job_resumed'],
    'restart recovery (`reason: restart`), or a lease nobody renews (`reason: takeover`)',
    'recovered',
  ),
  row('apply_patch_direct', JOB_STATUSES, null, ['patch_applied_direct'], '`POST …/patches/:stage/apply`', 'patched'),
  row(
    'delete',
    TERMINAL_STATUSES,
    null,
    ['job_deleted'],
    '`DELETE /jobs/:id`, or `storage.jobs_retention_days` passed (the job, its events and run dir go)',
    'deleted',
  ),
];

const BY_COMMAND = new Map(TRANSITIONS.map((transition) => [transition.command, transition]));

/** The row for `command` from `status`, or IllegalTransition naming the job's status and the rule. */
export function transitionFor(jobId: string, status: JobStatus | null, command: Command): Transition {
  const transition = BY_COMMAND.get(command) as Transition;
  if (transition.from.includes(status)) return transition;
  const allowed = transition.from.filter((from) => from !== null).join(' or ');
  throw new IllegalTransition(
    status === null
      ? `Job ${jobId} already exists`
      : `Job ${jobId} is ${status}; only a ${allowed} job can be ${transition.verb}`,
  );
}

/** The status a job has after `transition`. */
export function statusAfter(transition: Transition, status: JobStatus): JobStatus {
  return transition.to ?? status;
}

function row(
  command: Command,
  from: readonly (JobStatus | null)[],
  to: JobStatus | null,
  events: readonly EventType[],
  on: string,
  verb: string,
): Transition {
  return { command, from, to, events, on, verb };
}

/** The table as docs/OPERATIONS.md shows it (a test keeps the two equal). */
export function renderStateTable(): string {
  const lines = ['| from | on | to | events |', '|---|---|---|---|'];
  for (const { from, on, to, events } of TRANSITIONS) {
    const fromText = from.map((status) => status ?? '—').join(', ');
    const toText = to ?? (events.includes('job_deleted') ? '(no job)' : '(unchanged)');
    lines.push(`| ${fromText} | ${on} | ${toText} | ${events.join(', ')} |`);
  }
  return lines.join('\n');
}
