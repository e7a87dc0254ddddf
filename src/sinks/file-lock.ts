import { closeSync, openSync, rmSync, statSync } from 'node:fs';

/** A lock older than this was left by a process that died holding it (holders keep it for milliseconds). */
const STALE_MS = 10_000;
const MAX_PAUSE_MS = 20;

/**
 * Runs `work` holding `<path>.lock`, a file created with O_EXCL: the one lock every process sharing
 * a directory sees (cluster mode's shared runs_dir), with no native addon. A lock left by a process
 * that died is broken once it is STALE_MS old.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`;
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS)) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isStale(lockPath)) rmSync(lockPath, { force: true });
      else await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lockPath, { force: true });
  }
}

function isStale(lockPath: string): boolean {
  try {
    return Date.now() - statSync(lockPath).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}
