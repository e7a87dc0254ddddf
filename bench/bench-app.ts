import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { NestExpressApplication } from '@nestjs/platform-express';
import { startApp } from '../kit/app';
import { STAGES } from '../src/domain/stages';

export interface HttpResult {
  status: number;
  body: any;
}

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
    new Promise<HttpResult>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
      if (payload !== undefined) headers['Content-Type'] = 'application/json';
      const req = http.request(`${baseUrl}${path}`, { method, agent, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });

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
export async function createJobs(bench: BenchApp, count: number, slug: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { status, body } = await bench.request('POST', '/api/v1/jobs', { slug: `${slug}-${i}`, intent: 'benchmark' });
    if (status !== 201) throw new Error(`POST /api/v1/jobs answered ${status}: ${JSON.stringify(body)}`);
    ids.push(body.id as string);
  }
  return ids;
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
