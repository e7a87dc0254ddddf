import { BenchApp } from './bench-app';
import { Summary, nowMs, summarize } from './stats';

export interface PollingResult {
  all: Summary;
  job: Summary;
  global: Summary;
}

/** A deterministic generator (mulberry32), so every run asks for the same cursors. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Sequential `GET …/events?since=<random id>&limit=100` over one keep-alive connection: three of four
 * on a job's route, one of four on the global route. Each sample is the time from sending the
 * request to having its JSON body parsed. `warmUp` requests first, not counted.
 */
export async function measurePolling(
  bench: BenchApp,
  jobIds: string[],
  maxId: number,
  samples: number,
  warmUp: number,
): Promise<PollingResult> {
  const random = seededRandom(42);
  const job: number[] = [];
  const global: number[] = [];
  for (let i = 0; i < warmUp + samples; i++) {
    const since = Math.floor(random() * maxId);
    const jobId = pickJob(jobIds, i, random);
    const path = pollPath(jobId, since);
    const started = nowMs();
    const { status, body } = await bench.request('GET', path);
    const elapsed = nowMs() - started;
    check(path, status, body, since, jobId);
    if (i >= warmUp) (jobId ? job : global).push(elapsed);
  }
  return { all: summarize([...job, ...global]), job: summarize(job), global: summarize(global) };
}

/** The page must be what was asked for: ascending ids after the cursor, of the right job, at most 100. */
function check(path: string, status: number, body: any, since: number, jobId: string | null): void {
  const events = body?.events as { id: number; job_id: string }[] | undefined;
  const problem =
    status !== 200
      ? `status ${status}`
      : !Array.isArray(events) || events.length > 100
        ? 'no events array of at most 100'
        : events.some((event, i) => event.id <= (i === 0 ? since : events[i - 1].id))
          ? 'ids not ascending after the cursor'
          : jobId && events.some((event) => event.job_id !== jobId)
            ? 'an event of another job'
            : null;
  if (problem) throw new Error(`GET ${path}: ${problem}: ${JSON.stringify(body).slice(0, 300)}`);
}

/**
 * The same with an ISO 8601 timestamp cursor (`since=2026-…Z`, which the API accepts as well),
 * at a random time between the first and the last stored event. Reported for context: the
 * headline numbers use id cursors, as the service's own next_since does.
 */
export async function measureTimestampPolling(bench: BenchApp, jobIds: string[], samples: number): Promise<Summary> {
  const first = (await bench.request('GET', '/api/v1/events?since=0&limit=1')).body.events[0].ts as string;
  const last = (await bench.request('GET', '/api/v1/events?limit=1')).body.events[0].ts as string;
  const [from, to] = [Date.parse(first), Date.parse(last)];
  const random = seededRandom(7);
  const timings: number[] = [];
  for (let i = 0; i < samples; i++) {
    const since = new Date(from + random() * (to - from)).toISOString();
    const jobId = pickJob(jobIds, i, random);
    const path = pollPath(jobId, since);
    const started = nowMs();
    const { status, body } = await bench.request('GET', path);
    timings.push(nowMs() - started);
    if (status !== 200) throw new Error(`GET ${path}: status ${status}: ${JSON.stringify(body).slice(0, 300)}`);
  }
  return summarize(timings);
}

/** Three polls in four are of one job, the fourth of the global feed. */
function pickJob(jobIds: string[], i: number, random: () => number): string | null {
  return i % 4 === 3 ? null : jobIds[Math.floor(random() * jobIds.length)];
}

function pollPath(jobId: string | null, since: number | string): string {
  return jobId ? `/api/v1/jobs/${jobId}/events?since=${since}&limit=100` : `/api/v1/events?since=${since}&limit=100`;
}
