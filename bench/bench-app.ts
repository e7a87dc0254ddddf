import { STAGES } from '../src/common/stages';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestExpressApplication } from '@nestjs/platform-express';
import { stringify } from 'yaml';
import { createApp } from '../src/bootstrap';
import { loadConfig } from '../src/config/config.loader';

export interface BenchApp {
  app: NestExpressApplication;
  baseUrl: string;
  token: string;
  agent: http.Agent;
  request: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
  close: () => Promise<void>;
}

/** The real app on a temp dir, its console lines going to a file (the bench's "console to a file"). */
export async function startBenchApp(overrides: Record<string, unknown>): Promise<BenchApp> {
  const dir = mkdtempSync(join(tmpdir(), 'jobevents-bench-'));
  const token = 'bench-token-0123456789abcdef';
  const configPath = join(dir, 'operator.yaml');
  writeFileSync(
    configPath,
    stringify({
      server: { log_level: 'info' },
      security: { rate_limiting: { enabled: false } },
      storage: { db_path: join(dir, 'jobs.db'), runs_dir: join(dir, 'runs') },
      ...overrides,
    }),
  );
  const consoleFd = openSync(join(dir, 'console.log'), 'a');
  const loaded = loadConfig({ path: configPath, env: { ADMIN_TOKEN: token }, cwd: dir });
  const app = await createApp(loaded, { logSink: (line) => writeSync(consoleFd, line + '\n') });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  // A long synchronous emit loop outlives the server's keep-alive timeout: a reused socket may be reset.
  const request = async (method: string, path: string, body?: unknown) => {
    try {
      return await send(method, path, body);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET') throw error;
      return send(method, path, body);
    }
  };
  const send = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: any }>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        `${baseUrl}${path}`,
        {
          method,
          agent,
          headers: { Authorization: `Bearer ${token}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  return {
    app,
    baseUrl,
    token,
    agent,
    request,
    close: async () => {
      agent.destroy();
      await app.close();
      closeSync(consoleFd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A gates section where no stage pauses. */
export const NO_GATES = Object.fromEntries(
  STAGES.map((stage) => [stage, { required: false, auto_approve: false, auto_approve_after_s: null }]),
);
