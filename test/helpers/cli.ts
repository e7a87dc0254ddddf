import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const JOBCTL = join(__dirname, '..', '..', 'bin', 'jobctl');

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Runs the real `jobctl` binary (the package's bin, as `npx jobctl` does) against a base URL; `extra`
 * adds to (or, set to undefined, removes from) its environment, and `cwd` is where it runs.
 */
export function runJobctl(
  args: string[],
  env: { baseUrl: string; token: string },
  extra: Record<string, string | undefined> = {},
  cwd?: string,
): CliRun {
  let stdout = '';
  let stderr = '';
  const environment: NodeJS.ProcessEnv = { ...process.env, JOBS_API_URL: env.baseUrl, ADMIN_TOKEN: env.token };
  for (const [name, value] of Object.entries({ NO_COLOR: '1', OPERATOR_CONFIG: undefined, ...extra })) {
    if (value === undefined) delete environment[name];
    else environment[name] = value;
  }
  const child = spawn(JOBCTL, args, { env: environment, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
