import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from '../../kit/engines';
import { waitFor } from './app';

export { freePort };
import { NO_GATES } from './jobs';

export const ROOT = join(__dirname, '..', '..');
/** The file `npm start` runs (after its build), read from package.json so these tests run exactly that. */
const MAIN = join(ROOT, startTarget('start'));

/** The `node <file>.js` a package.json script runs (`start`, `start:prod`). */
export function startTarget(script: string): string {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const target = /\bnode\s+(\S+\.js)\b/.exec(scripts[script] ?? '')?.[1];
  if (!target) throw new Error(`package.json's ${script} script runs no "node <file>.js": ${scripts[script]}`);
  return target;
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** How many fresh ports startServer tries: a port found free can be taken by another test before the child binds it. */
const PORT_TRIES = 3;

/**
 * Runs the built service (`npm run build` output, as `npm start` runs it) as a child process on a
 * config file, for tests that kill it for real. `launcher`: a command that runs node for it
 * (`['prlimit', '--nofile=256']`).
 */
export async function startServer(
  configPath: string,
  token: string,
  cwd: string,
  env: Record<string, string> = {},
  main = MAIN,
  launcher: string[] = [],
): Promise<ServerProcess> {
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first (npm test does)`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const { child, output, exited } = spawnServer(configPath, token, cwd, port, env, main, launcher);
    const baseUrl = `http://127.0.0.1:${port}`;
    try {
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
          try {
            return (await fetch(`${baseUrl}/healthz`)).ok;
          } catch {
            return false;
          }
        },
        15000,
        'the server to answer /healthz',
      );
      return { child, baseUrl, output, exited };
    } catch (error) {
      if (attempt < PORT_TRIES && output().includes('is in use by another process')) continue;
      throw error;
    }
  }
}

/** Runs the built service expecting it to refuse to start: resolves with its exit code and everything it printed. */
export function runUntilExit(
  configPath: string,
  token: string,
  cwd: string,
  port: number,
  timeoutMs = 15000,
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const { child, output, exited } = spawnServer(configPath, token, cwd, port, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return exited.then((code) => {
    clearTimeout(timer);
    if (code === null) throw new Error(`the server did not exit within ${timeoutMs} ms:\n${output()}`);
    return { code, output: output() };
  });
}

/** The built service as a child process on `port`, its output collected. */
function spawnServer(
  configPath: string,
  token: string,
  cwd: string,
  port: number,
  env: Record<string, string>,
  main = MAIN,
  launcher: string[] = [],
) {
  let output = '';
  const [command, ...args] = [...launcher, process.execPath, main];
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, OPERATOR_CONFIG: configPath, ADMIN_TOKEN: token, PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * A temp data dir with a config for a server process: info logs, no gates, no rate limits (these
 * tests poll in a loop), its own SQLite file and runs dir, and the simulate runner at `stageSeconds`.
 */
export function serverDataDir(prefix: string, stageSeconds: number): { dir: string; configPath: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const configPath = join(dir, 'operator.yaml');
  writeFileSync(
    configPath,
    stringify({
      server: { log_level: 'info' },
      gates: NO_GATES,
      security: { rate_limiting: { enabled: false } },
      storage: { db_path: join(dir, 'jobs.db'), runs_dir: join(dir, 'runs') },
      pipeline: { simulate: { stage_seconds: stageSeconds } },
    }),
  );
  return { dir, configPath };
}
