import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { startApp } from '../../kit/app';
import { JobEvent } from '../../src/domain/events';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export interface TestApp {
  app: NestExpressApplication;
  baseUrl: string;
  token: string;
  dir: string;
  runsDir: string;
  dbPath: string;
  logFile: string;
  /** supertest against the running server. */
  http: () => request.Agent;
  auth: { Authorization: string };
  logs: () => string;
  createJob: (body?: Record<string, unknown>) => Promise<{ id: string } & Record<string, unknown>>;
  poll: (path: string) => Promise<{ events: JobEvent[]; next_since: number | string; has_more: boolean }>;
  jsonl: (jobId: string) => JobEvent[];
  close: () => Promise<void>;
}

/** The tests' keys over the kit's: debug level, so request lines reach the log the secrets tests read. */
const TEST_CONFIG = { server: { log_level: 'debug' }, events: { heartbeat_seconds: 5 } };

/**
 * Boots the real app with the kit (kit/app.ts) on a temp dir it removes on close, or on `existingDir`,
 * which it leaves; a random admin token, overrides merged into the shipped keys.
 */
export async function bootTestApp(overrides: Record<string, unknown> = {}, existingDir?: string): Promise<TestApp> {
  const token = `test-token-${randomBytes(12).toString('hex')}`;
  const started = await startApp({
    token,
    config: TEST_CONFIG,
    overrides,
    dir: existingDir,
    prefix: 'jobevents-',
    // Every log line of every test app: the admin token must be in none of them.
    onClosed: ({ logFile }) => {
      if (readIfExists(logFile).includes(token)) throw new Error(`The admin token appeared in ${logFile}`);
    },
  });
  const { app, baseUrl, dir, logFile, config } = started;
  const auth = { Authorization: `Bearer ${token}` };
  const http = () => request.agent(baseUrl);
  return {
    app,
    baseUrl,
    token,
    dir,
    runsDir: config.storage.runs_dir,
    dbPath: config.storage.db_path,
    logFile,
    http,
    auth,
    logs: () => readIfExists(logFile),
    createJob: async (body = {}) => {
      const response = await http()
        .post('/api/v1/jobs')
        .set(auth)
        .send({ slug: 'demo', intent: 'a test job', ...body })
        .expect(201);
      return response.body;
    },
    poll: async (path) => (await http().get(path).set(auth).expect(200)).body,
    jsonl: (jobId) =>
      readIfExists(join(config.storage.runs_dir, jobId, 'events.jsonl'))
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as JobEvent),
    close: started.close,
  };
}

/** A temp dir of the test's own, for apps booted on it again (bootTestApp leaves it; removeDir removes it). */
export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), 'jobevents-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Waits on a condition, never on a fixed sleep. */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function readIfExists(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
