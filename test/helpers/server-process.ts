import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { waitFor } from './app';

const ROOT = join(__dirname, '..', '..');
/** The file `npm start` runs (after its build), read from package.json so these tests run exactly that. */
const MAIN = join(ROOT, startTarget());

function startTarget(): string {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const target = /\bnode\s+(\S+\.js)\b/.exec(scripts.start)?.[1];
  if (!target) throw new Error(`package.json's start script runs no "node <file>.js": ${scripts.start}`);
  return target;
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs the built service (`npm run build` output, as `npm start` runs it) as a child process on a
 * config file, for tests that kill it for real.
 */
export async function startServer(configPath: string, token: string, cwd: string): Promise<ServerProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
  const port = await freePort();
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { ...process.env, OPERATOR_CONFIG: configPath, ADMIN_TOKEN: token, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited early:\n${output}`);
      try {
        return (await fetch(`${baseUrl}/healthz`)).ok;
      } catch {
        return false;
      }
    },
    15000,
    'the server to answer /healthz',
  );
  return { child, baseUrl, output: () => output, exited };
}

/** Runs the built service expecting it to refuse to start: resolves with its exit code and everything it printed. */
export function runUntilExit(
  configPath: string,
  token: string,
  cwd: string,
  port: number,
  timeoutMs = 15000,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(process.execPath, [MAIN], {
      cwd,
      env: { ...process.env, OPERATOR_CONFIG: configPath, ADMIN_TOKEN: token, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
