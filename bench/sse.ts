import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { JobLifecycle } from '../src/lifecycle/job-lifecycle.service';
import { BenchApp } from './bench-app';
import { logLine } from './emit';
import type { Arrival, MainMessage, SseWorkerInput, WorkerMessage } from './sse-worker';
import { Summary, nowMs, summarize } from './stats';

export interface SseOptions {
  clients: number;
  /** Events per second, emitted on a fixed schedule (no drift: event i is due at start + i / rate). */
  rate: number;
  events: number;
}

export interface SseResult {
  all: Summary;
  byScope: Record<string, Summary>;
  /** Expected deliveries (events × clients) that never arrived. */
  lost: number;
  duplicates: number;
  outOfOrder: number;
  endedEarly: number;
  deliveries: number;
  achievedRate: number;
  /** This process's RSS once every event was emitted, the streams still open (server and subscriber thread). */
  rssMb: number;
}

/**
 * `clients` SSE subscribers (half on the job's stream, half on the global stream) in a worker thread;
 * once all have their `connected` frame, `events` stage_log events of that job are emitted at `rate`
 * per second. Latency = frame parsed in the worker − just before emit() in the main thread, both on
 * process.hrtime. Every client must receive every event exactly once, in id order.
 */
export function measureSse(bench: BenchApp, jobId: string, options: SseOptions): Promise<SseResult> {
  const streams = Array.from({ length: options.clients }, (_, i) =>
    i % 2 === 0
      ? { scope: 'job', url: `${bench.baseUrl}/api/v1/jobs/${jobId}/events/stream` }
      : { scope: 'global', url: `${bench.baseUrl}/api/v1/events/stream` },
  );
  const lifecycle = bench.app.get(JobLifecycle);
  return measureFanOut(streams, bench.token, options, async (n) => (await lifecycle.record(logLine(jobId, n))).id);
}

/**
 * The harness of measureSse over any server: `emit(n)` makes the n-th event and resolves with its id
 * once the server has it (bench/limits.ts drives a bare Node server with it).
 */
export async function measureFanOut(
  streams: SseWorkerInput['streams'],
  token: string,
  options: SseOptions,
  emit: (n: number) => Promise<number>,
): Promise<SseResult> {
  const worker = new Worker(join(__dirname, 'sse-worker.js'), {
    workerData: { token, streams } satisfies SseWorkerInput,
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  try {
    const next = messagesOf(worker);
    const ready = await next();
    if (ready.type !== 'ready') throw new Error(`SSE subscribers: ${describe(ready)}`);

    const emittedAt = new Map<number, number>();
    const interval = 1000 / options.rate;
    const started = nowMs();
    let lastId = 0;
    for (let sent = 0; sent < options.events;) {
      const due = Math.min(options.events, Math.floor((nowMs() - started) / interval) + 1);
      for (; sent < due; sent++) {
        const before = nowMs();
        lastId = await emit(sent);
        emittedAt.set(lastId, before);
      }
      const wait = started + sent * interval - nowMs();
      if (sent < options.events) await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
    }
    const achievedRate = options.events / ((nowMs() - started) / 1000);
    const rssMb = process.memoryUsage().rss / 2 ** 20;

    worker.postMessage({ type: 'finish', lastId, graceMs: 5000 } satisfies MainMessage);
    const done = await next();
    if (done.type !== 'done') throw new Error(`SSE subscribers: ${describe(done)}`);
    return { ...tally(done.clients, emittedAt), achievedRate, rssMb };
  } finally {
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await worker.terminate();
  }
}

function tally(clients: Arrival[], emittedAt: Map<number, number>): Omit<SseResult, 'achievedRate' | 'rssMb'> {
  const all: number[] = [];
  const byScope = new Map<string, number[]>();
  let lost = 0;
  let duplicates = 0;
  let outOfOrder = 0;
  let deliveries = 0;
  for (const client of clients) {
    const scoped = byScope.get(client.scope) ?? [];
    byScope.set(client.scope, scoped);
    const seen = new Set<number>();
    let previous = 0;
    client.ids.forEach((id, i) => {
      if (id <= previous) outOfOrder++;
      previous = Math.max(previous, id);
      const sentAt = emittedAt.get(id);
      if (sentAt === undefined) return;
      if (seen.has(id)) return void duplicates++;
      seen.add(id);
      deliveries++;
      const latency = client.at[i] - sentAt;
      all.push(latency);
      scoped.push(latency);
    });
    lost += emittedAt.size - seen.size;
  }
  return {
    all: summarize(all),
    byScope: Object.fromEntries([...byScope].map(([scope, values]) => [scope, summarize(values)])),
    lost,
    duplicates,
    outOfOrder,
    endedEarly: clients.filter((client) => client.endedEarly).length,
    deliveries,
  };
}

/** The worker's messages one at a time; an error or an early exit of the worker rejects. */
function messagesOf(worker: Worker): () => Promise<WorkerMessage> {
  const queue: WorkerMessage[] = [];
  let waiting: { resolve: (m: WorkerMessage) => void; reject: (e: Error) => void } | null = null;
  let failure: Error | null = null;
  const fail = (error: Error) => {
    failure = error;
    waiting?.reject(error);
    waiting = null;
  };
  worker.on('message', (message: WorkerMessage) => {
    if (waiting) {
      waiting.resolve(message);
      waiting = null;
    } else queue.push(message);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`the SSE worker exited (code ${code}) before answering`)));
  return () =>
    new Promise<WorkerMessage>((resolve, reject) => {
      const queued = queue.shift();
      if (queued) resolve(queued);
      else if (failure) reject(failure);
      else waiting = { resolve, reject };
    });
}

function describe(message: WorkerMessage): string {
  return message.type === 'error' ? message.message : `unexpected message ${message.type}`;
}
