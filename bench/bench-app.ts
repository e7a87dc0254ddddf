import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import { NestExpressApplication } from '@nestjs/platform-express';
import { startApp } from '../kit/app';
import { STAGES } from '../src/domain/stages';
import type { CreateWorkerInput, CreateWorkerMessage } from './create-worker';
import { HttpResult, postJobs, requestJson } from './http-json';

export interface BenchApp {
  app: NestExpressApplication;
  baseUrl: string;
  token: string;
  dir: string;
  /** One request over the bench's keep-alive agent, the body parsed as JSON. */
  request: (method: string, path: string, body?: unknown) => Promise<HttpResult>;
  /**
   * Drops the agent's idle keep-alive sockets. Call it after a long synchronous loop: the server's
   * keep-alive timer may have expired meanwhile, and reusing such a socket races with its close.
   */
  freshConnections: () => void;
  close: () => Promise<void>;
}

/**
 * The bench's temp dirs, removed on the way out (even after Ctrl-C), not as each app closes: on an
 * ext4 without a journal, thousands of files just deleted make every file created after them slower
 * for a minute or more (docs/PERFORMANCE.md, "Why this disk is slow"), and one measurement must not
 * pay for the one before it.
 */
const liveDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});
process.once('SIGINT', () => process.exit(130));

/** The bench's keys over the kit's. */
const BENCH_CONFIG = {
  server: { log_level: 'info' },
  // All SSE subscribers of the bench come from one address.
  security: { max_streams_per_client: 1000 },
  // 100,000 events over a handful of jobs: retention's per-job cap must not be what is measured.
  storage: { max_events_per_job: 10_000_000 },
};

/** The real app booted by the kit (kit/app.ts) on a fresh temp dir, removed when the bench exits. */
export async function startBenchApp(overrides: Record<string, unknown> = {}): Promise<BenchApp> {
  const ownDir = mkdtempSync(join(tmpdir(), 'jobevents-bench-'));
  liveDirs.add(ownDir);
  const kit = await startApp({ token: 'bench-token-0123456789abcdef', config: BENCH_CONFIG, overrides, dir: ownDir });
  const { app, baseUrl, token, dir } = kit;
  let agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  const request = (method: string, path: string, body?: unknown) =>
    requestJson(agent, { baseUrl, token }, method, path, body);

  return {
    app,
    baseUrl,
    token,
    dir,
    request,
    freshConnections: () => {
      agent.destroy();
      agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    },
    close: async () => {
      agent.destroy();
      await kit.close();
    },
  };
}

/** Creates jobs over HTTP, one after the other; returns their ids. */
export function createJobs(bench: BenchApp, count: number, slug: string): Promise<string[]> {
  return postJobs(bench.request, count, slug);
}

/**
 * Creates jobs as createJobs does, from a thread of its own (bench/create-worker.ts): for
 * measurements where the client's share of the event loop would be counted as the server's.
 */
export async function createJobsElsewhere(bench: BenchApp, count: number, slug: string): Promise<void> {
  const worker = new Worker(join(__dirname, 'create-worker.js'), {
    workerData: { baseUrl: bench.baseUrl, token: bench.token, count, slug } satisfies CreateWorkerInput,
  });
  try {
    const message = await new Promise<CreateWorkerMessage>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the job-creating thread exited (${code}) before it was done`)));
    });
    if (message.type === 'error') throw new Error(message.message);
  } finally {
    await worker.terminate();
  }
}

/** A gates section where no stage pauses. */
export const NO_GATES = Object.fromEntries(
  STAGES.map((stage) => [stage, { required: false, auto_approve: false, auto_approve_after_s: null }]),
);

/**
 * Jobs that stay quiet while the bench emits its own events: the command runner with no commands
 * finishes `outline` at once and its gate waits for a decision nobody makes. Jobs start one at a
 * time (max_concurrent_jobs 1); a job waiting at its gate frees the slot for the next.
 */
export const QUIET_JOBS = {
  pipeline: { runner: 'command', commands: {}, max_concurrent_jobs: 1 },
  gates: { ...NO_GATES, outline: { required: true, auto_approve: false, auto_approve_after_s: null } },
};
