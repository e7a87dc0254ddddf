import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Stage } from '../../domain/stages';
import { LineLimiter, LineSplitter } from './line-splitter';
import { StageAborted, StageContext, StageFailure, StageResult, StageRunner } from './stage-runner';

/** What a stage command inherits from the service's environment: nothing that could hold a secret. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'TZ'];

export interface CommandRunnerOptions {
  /** pipeline.command_env: set for every stage command. */
  env?: Record<string, string>;
  /** Values masked as *** in output lines before they become events (the admin token). */
  secrets?: string[];
  maxLineLength?: number;
  maxLinesPerSecond?: number;
  /** How long a process group gets after SIGTERM before SIGKILL. */
  killGraceMs?: number;
}

/**
 * pipeline.runner = command: `pipeline.commands.<stage>` runs under /bin/sh in its own process group
 * (so cancel and timeouts kill everything it started), with JOB_ID, JOB_SLUG, STAGE, RUN_DIR and
 * ARTIFACTS_DIR set. Each output line is a stage_log; exit 0 is success; files it writes under
 * ARTIFACTS_DIR become artifacts. A stage without a command succeeds at once.
 */
export class CommandRunner implements StageRunner {
  private readonly maxLineLength: number;
  private readonly maxLinesPerSecond: number;
  private readonly killGraceMs: number;
  private readonly env: Record<string, string>;
  private readonly secrets: string[];

  constructor(
    private readonly commands: Partial<Record<Stage, string>>,
    options: CommandRunnerOptions = {},
  ) {
    this.maxLineLength = options.maxLineLength ?? 4000;
    this.maxLinesPerSecond = options.maxLinesPerSecond ?? 200;
    this.killGraceMs = options.killGraceMs ?? 1000;
    const inherited = INHERITED_ENV.flatMap((name) =>
      process.env[name] === undefined ? [] : [[name, process.env[name]]],
    );
    this.env = { ...Object.fromEntries(inherited), ...(options.env ?? {}) };
    this.secrets = (options.secrets ?? []).filter((secret) => secret.length > 0);
  }

  async run(context: StageContext): Promise<StageResult> {
    const command = this.commands[context.stage];
    if (!command) return { artifacts: [], result: { skipped: true } };
    if (context.signal.aborted) throw new StageAborted(String(context.signal.reason));
    const before = snapshot(context.artifactsDir);
    const { exitCode, lines } = await this.execute(command, context);
    const after = snapshot(context.artifactsDir);
    const artifacts = [...after.entries()]
      .filter(([path, stamp]) => before.get(path) !== stamp)
      .map(([path]) => relative(context.runDir, path))
      .sort();
    return { artifacts, result: { exit_code: exitCode, lines } };
  }

  private mask(line: string): string {
    let masked = line;
    for (const secret of this.secrets) masked = masked.split(secret).join('***');
    return masked;
  }

  private execute(command: string, context: StageContext): Promise<{ exitCode: number; lines: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], {
        cwd: context.runDir,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        // An allow-list, not process.env: the service's secrets (ADMIN_TOKEN, a database URL) stay with it.
        env: {
          ...this.env,
          JOB_ID: context.jobId,
          JOB_SLUG: context.slug,
          STAGE: context.stage,
          RUN_DIR: context.runDir,
          ARTIFACTS_DIR: context.artifactsDir,
        },
      });
      let lines = 0;
      let lastStderr = '';
      const limiter = new LineLimiter(this.maxLinesPerSecond, this.maxLineLength, (stream, line) => {
        lines++;
        context.log(stream, this.mask(line));
      });
      const splitters = {
        stdout: new LineSplitter((line) => limiter.line('stdout', line)),
        stderr: new LineSplitter((line) => {
          lastStderr = line;
          limiter.line('stderr', line);
        }),
      };
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => splitters.stdout.push(chunk));
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => splitters.stderr.push(chunk));

      let killTimer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        killGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), this.killGraceMs);
      };
      context.signal.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        context.signal.removeEventListener('abort', onAbort);
        if (killTimer) clearTimeout(killTimer);
        // Whatever the shell left behind in its group goes with it.
        killGroup(child.pid, 'SIGKILL');
      };

      // Background children of the shell would keep its output pipes (and this stage) open.
      child.once('exit', () => killGroup(child.pid, 'SIGKILL'));
      child.once('error', (error) => {
        settle();
        reject(new StageFailure(`command could not start: ${error.message}`));
      });
      child.once('close', (code, signal) => {
        settle();
        splitters.stdout.end();
        splitters.stderr.end();
        limiter.flush();
        if (context.signal.aborted) return reject(new StageAborted(String(context.signal.reason)));
        if (code === 0) return resolve({ exitCode: 0, lines });
        const reason = signal ? `command was killed by ${signal}` : `command exited with code ${code}`;
        reject(new StageFailure(lastStderr ? `${reason}: ${lastStderr}` : reason));
      });
    });
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Every file under dir (recursively) with its size and mtime, to see what a command wrote. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (current: string) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const stat = statSync(path);
        files.set(path, `${stat.size}:${stat.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return files;
}
