import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { StartupError } from './startup-error';

interface Holder {
  pid: number;
  host: string;
  port: number;
  started_at: string;
  nonce: string;
}

/** Another live process holds the data this one was pointed at. */
export class DataInUse extends StartupError {
  constructor(message: string) {
    super('database', message);
  }
}

/**
 * A lock file per data location (the SQLite file, the runs dir), holding the pid, host and port of
 * the process that uses it, so a second instance started on the same data refuses to start before it
 * reads or writes anything. A file left by a process that died is taken over.
 */
export class InstanceLock {
  private readonly held: { path: string; nonce: string }[] = [];

  /** Takes every lock or none; DataInUse names the holder. */
  acquire(paths: readonly string[], port: number): void {
    try {
      for (const path of paths) this.take(path, port);
    } catch (error) {
      this.release();
      throw error;
    }
  }

  release(): void {
    for (const { path, nonce } of this.held.splice(0)) {
      if (holderOf(path)?.nonce === nonce) rmSync(path, { force: true });
    }
  }

  private take(path: string, port: number): void {
    mkdirSync(dirname(path), { recursive: true });
    const nonce = randomBytes(8).toString('hex');
    const holder: Holder = { pid: process.pid, host: hostname(), port, started_at: new Date().toISOString(), nonce };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        try {
          writeSync(fd, JSON.stringify(holder) + '\n');
        } finally {
          closeSync(fd);
        }
        this.held.push({ path, nonce });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = holderOf(path);
      if (current && isAlive(current)) {
        throw new DataInUse(
          `${path} says the data is in use by pid ${current.pid} on ${current.host} (port ${current.port}, since ${current.started_at}); ` +
            'stop that process first, or point storage.db_path and storage.runs_dir elsewhere (remove the file if that process is gone)',
        );
      }
      // Left by a process that is gone (or unreadable): take it over.
      rmSync(path, { force: true });
    }
    throw new DataInUse(`${path} could not be taken: another process keeps creating it`);
  }
}

function holderOf(path: string): Holder | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return null;
  }
}

/** A holder on another host cannot be checked from here, so it counts as alive. */
function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
