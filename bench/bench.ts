import 'reflect-metadata';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { EventBus } from '../src/events/event-bus';
import { StageEvents } from '../src/events/event-catalog';
import { EventLogger } from '../src/events/event-logger.service';
import { EventInput } from '../src/events/event.types';
import { BenchApp, NO_GATES, startBenchApp } from './bench-app';
import { percentile, round } from './stats';

/**
 * npm run bench [-- --quick]: emit throughput with all four sinks, polling latency over 100,000
 * stored events, SSE delivery latency to 100 subscribers, and end-to-end job throughput.
 * The last line of stdout is one JSON object with the numbers.
 */
const quick = process.argv.includes('--quick');
const SIZES = quick
  ? { emit: 20_000, stored: 100_000, polls: 300, sseClients: 100, sseEvents: 500, jobs: 20 }
  : { emit: 100_000, stored: 100_000, polls: 2_000, sseClients: 100, sseEvents: 2_000, jobs: 100 };

/** Jobs that reach their first gate at once and stay there: the events measured are the bench's own. */
const QUIET_JOBS = {
  pipeline: { runner: 'command', commands: {} },
  gates: { ...NO_GATES, outline: { required: true, auto_approve: false, auto_approve_after_s: null } },
};

/** A stage_log of about 100 bytes of payload, like a command's output line. */
const logLine = (jobId: string, n: number): EventInput =>
  StageEvents.log(jobId, 'script', 'stdout', `bench line ${n} ${'x'.repeat(60)}`);

async function createJobs(bench: BenchApp, count: number, slug: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { status, body } = await bench.request('POST', '/api/v1/jobs', { slug: `${slug}-${i}`, intent: 'benchmark' });
    if (status !== 201) throw new Error(`job creation answered ${status}: ${JSON.stringify(body)}`);
    ids.push(body.id);
  }
  return ids;
}

async function measureEmit(bench: BenchApp, jobIds: string[]): Promise<number> {
  const emitter = bench.app.get(EventLogger);
  const started = performance.now();
  for (let i = 0; i < SIZES.emit; i++) emitter.emit(logLine(jobIds[i % jobIds.length], i));
  const seconds = (performance.now() - started) / 1000;
  return SIZES.emit / seconds;
}

async function measurePolling(
  bench: BenchApp,
  jobIds: string[],
): Promise<{ p50: number; p99: number; stored: number }> {
  const emitter = bench.app.get(EventLogger);
  const last = (await bench.request('GET', '/api/v1/events?limit=1')).body.next_since as number;
  for (let i = last; i < SIZES.stored; i++) emitter.emit(logLine(jobIds[i % jobIds.length], i));
  const stored = (await bench.request('GET', '/api/v1/events?limit=1')).body.next_since as number;
  const timings: number[] = [];
  for (let i = 0; i < SIZES.polls; i++) {
    const since = Math.floor(Math.random() * stored);
    const path =
      i % 2 === 0
        ? `/api/v1/jobs/${jobIds[i % jobIds.length]}/events?since=${since}&limit=100`
        : `/api/v1/events?since=${since}&limit=100`;
    const started = performance.now();
    const { status } = await bench.request('GET', path);
    timings.push(performance.now() - started);
    if (status !== 200) throw new Error(`poll answered ${status}`);
  }
  return { p50: percentile(timings, 50), p99: percentile(timings, 99), stored };
}

async function measureSse(bench: BenchApp, jobId: string): Promise<{ p50: number; p99: number; lost: number }> {
  const emitter = bench.app.get(EventLogger);
  const worker = new Worker(join(__dirname, 'sse-worker.js'), {
    workerData: {
      url: `${bench.baseUrl}/api/v1/jobs/${jobId}/events/stream`,
      token: bench.token,
      clients: SIZES.sseClients,
      expected: SIZES.sseEvents,
    },
  });
  const messages: { type: string; arrivals?: [number, number][][] }[] = [];
  let wake = () => {};
  worker.on('message', (message) => {
    messages.push(message);
    wake();
  });
  const next = async (type: string) => {
    while (!messages.some((m) => m.type === type)) await new Promise<void>((resolve) => (wake = resolve));
    return messages.find((m) => m.type === type)!;
  };
  await next('ready');
  // 500 events a second, in bursts of 5 every 10 ms; the clock is shared with the worker thread.
  const emittedAt = new Map<number, number>();
  for (let sent = 0; sent < SIZES.sseEvents;) {
    for (let i = 0; i < 5 && sent < SIZES.sseEvents; i++, sent++) {
      const event = emitter.emit(logLine(jobId, sent));
      emittedAt.set(event.id, performance.timeOrigin + performance.now());
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const { arrivals = [] } = await next('done');
  await worker.terminate();
  const latencies: number[] = [];
  let lost = 0;
  for (const list of arrivals) {
    const seen = new Set<number>();
    for (const [id, at] of list) {
      const sentAt = emittedAt.get(id);
      if (sentAt === undefined || seen.has(id)) continue;
      seen.add(id);
      latencies.push(at - sentAt);
    }
    lost += SIZES.sseEvents - seen.size;
  }
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), lost };
}

async function measureEndToEnd(): Promise<{ jobsPerS: number; eventsPerS: number }> {
  const bench = await startBenchApp({
    gates: NO_GATES,
    pipeline: { max_concurrent_jobs: 4, simulate: { stage_seconds: 0 } },
  });
  try {
    let completed = 0;
    const allDone = new Promise<void>((resolve) => {
      bench.app.get(EventBus).events$.subscribe(({ event }) => {
        if (event.type === 'job_completed' && ++completed === SIZES.jobs) resolve();
      });
    });
    const started = performance.now();
    const ids = await createJobs(bench, SIZES.jobs, 'e2e');
    await allDone;
    const seconds = (performance.now() - started) / 1000;
    const events = (await bench.request('GET', '/api/v1/events?limit=1')).body.next_since as number;
    return { jobsPerS: ids.length / seconds, eventsPerS: events / seconds };
  } finally {
    await bench.close();
  }
}

async function main(): Promise<void> {
  console.log(
    `bench${quick ? ' (quick)' : ''}: node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model}), ${round(totalmem() / 2 ** 30, 1)} GiB`,
  );
  const bench = await startBenchApp(QUIET_JOBS);
  let results: Record<string, number>;
  try {
    const jobIds = await createJobs(bench, 10, 'bench');
    const emit = await measureEmit(bench, jobIds);
    console.log(
      `emit(): ${round(emit, 0)} events/s over ${SIZES.emit} events (SQLite row + events.jsonl + console line to a file + bus)`,
    );
    const poll = await measurePolling(bench, jobIds);
    console.log(
      `polling: p50 ${round(poll.p50)} ms, p99 ${round(poll.p99)} ms over ${SIZES.polls} requests, ${poll.stored} events stored`,
    );
    const sseJob = (await createJobs(bench, 1, 'sse'))[0];
    const sse = await measureSse(bench, sseJob);
    console.log(
      `SSE: p50 ${round(sse.p50)} ms, p99 ${round(sse.p99)} ms emit → frame parsed, ${SIZES.sseClients} subscribers × ${SIZES.sseEvents} events, ${sse.lost} lost`,
    );
    results = {
      emit_events_per_s: round(emit, 0),
      poll_p50_ms: round(poll.p50),
      poll_p99_ms: round(poll.p99),
      sse_p50_ms: round(sse.p50),
      sse_p99_ms: round(sse.p99),
      sse_lost: sse.lost,
    };
  } finally {
    await bench.close();
  }
  const e2e = await measureEndToEnd();
  console.log(
    `end to end: ${round(e2e.jobsPerS, 1)} jobs/s through nine stages (no gates, stage_seconds 0, ${SIZES.jobs} jobs), ${round(e2e.eventsPerS, 0)} events/s`,
  );
  console.log(
    JSON.stringify({ ...results, e2e_jobs_per_s: round(e2e.jobsPerS, 1), e2e_events_per_s: round(e2e.eventsPerS, 0) }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
