import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { stringify } from 'yaml';
import { createApp } from '../../src/bootstrap';
import { deepMerge, loadConfig } from '../../src/config/config.loader';
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
  /** Closes the app and removes its temp dir (keepDir: a test that boots again on it, or reads it after). */
  close: (options?: { keepDir?: boolean }) => Promise<void>;
}

/**
 * Boots the real app on a temp dir: a YAML config written there (overrides merged into the shipped
 * keys), a real SQLite file, a real runs dir, a random admin token, console lines into a log file.
 */
export async function bootTestApp(overrides: Record<string, unknown> = {}, existingDir?: string): Promise<TestApp> {
  const dir = existingDir ?? mkdtempSync(join(tmpdir(), 'jobevents-'));
  const token = `test-token-${randomBytes(12).toString('hex')}`;
  const configPath = join(dir, 'operator.yaml');
  const config = deepMerge(
    {
      server: { host: '127.0.0.1', port: 0, log_level: 'debug' },
      // Tests create jobs by the dozen; the rate-limit tests turn this back on.
      security: { rate_limiting: { enabled: false } },
      storage: { db_path: join(dir, 'jobs.db'), runs_dir: join(dir, 'runs') },
      events: { heartbeat_seconds: 5 },
    },
    overrides,
  );
  writeFileSync(configPath, stringify(config));
  const loaded = loadConfig({ path: configPath, env: { ADMIN_TOKEN: token }, cwd: dir });
  const logFile = join(dir, 'console.log');
  const app = await createApp(loaded, { logSink: (line) => appendFileSync(logFile, line + '\n') });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const auth = { Authorization: `Bearer ${token}` };
  const http = () => request.agent(baseUrl);
  return {
    app,
    baseUrl,
    token,
    dir,
    runsDir: loaded.config.storage.runs_dir,
    dbPath: loaded.config.storage.db_path,
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
      readIfExists(join(loaded.config.storage.runs_dir, jobId, 'events.jsonl'))
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => JSON.parse(line) as JobEvent),
    close: async ({ keepDir = false } = {}) => {
      await app.close();
      // Every log line of every test app: the admin token must be in none of them.
      if (readIfExists(logFile).includes(token)) throw new Error(`The admin token appeared in ${logFile}`);
      if (!keepDir) removeDir(dir);
    },
  };
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
