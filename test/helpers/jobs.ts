import { STAGES } from '../../src/domain/stages';
import { JobEvent } from '../../src/domain/events';
import { TestApp, waitFor } from './app';

/** Every stored event of a job (or of all jobs), paging with next_since. */
export async function allEvents(t: TestApp, jobId?: string): Promise<JobEvent[]> {
  const out: JobEvent[] = [];
  const base = jobId ? `/api/v1/jobs/${jobId}/events` : '/api/v1/events';
  for (let since: number | string = 0; ;) {
    const page = await t.poll(`${base}?since=${since}&limit=1000`);
    out.push(...page.events);
    if (!page.has_more) return out;
    since = page.next_since;
  }
}

/** Waits until the job's status is one of `statuses`; returns the job. */
export async function waitForStatus(t: TestApp, jobId: string, statuses: string[], timeoutMs = 10000): Promise<any> {
  return waitFor(
    async () => {
      const job = (await t.http().get(`/api/v1/jobs/${jobId}`).set(t.auth)).body;
      return statuses.includes(job.status) ? job : null;
    },
    timeoutMs,
    `job ${jobId} to be ${statuses.join(' or ')}`,
  );
}

/** Waits until the job waits at this stage's gate. */
export async function waitForGate(t: TestApp, jobId: string, stage: string, timeoutMs = 10000): Promise<any> {
  return waitFor(
    async () => {
      const job = (await t.http().get(`/api/v1/jobs/${jobId}`).set(t.auth)).body;
      return job.status === 'needs_approval' && job.stage === stage ? job : null;
    },
    timeoutMs,
    `job ${jobId} to wait at ${stage}`,
  );
}

export async function decide(
  t: TestApp,
  jobId: string,
  action: 'approve' | 'reject',
  body: Record<string, unknown>,
  status = 200,
) {
  return (await t.http().post(`/api/v1/jobs/${jobId}/${action}`).set(t.auth).send(body).expect(status)).body;
}

/** The event types without the chatty ones (logs and artifacts), for sequence assertions. */
export function milestones(events: JobEvent[]): string[] {
  return events
    .filter((e) => e.type !== 'stage_log' && e.type !== 'artifact_created')
    .map((e) => (e.stage ? `${e.type}:${e.stage}` : e.type));
}

/** A gates section where no stage pauses. */
export const NO_GATES = Object.fromEntries(
  STAGES.map((stage) => [stage, { required: false, auto_approve: false, auto_approve_after_s: null }]),
);

export function stagesRun(stages: string[]): string[] {
  return stages.flatMap((stage) => [`stage_started:${stage}`, `stage_completed:${stage}`]);
}
