import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';

/** A lock older than this was left by a process that died holding it (holders keep it for milliseconds). */
const STALE_MS = 10_000;
const MAX_PAUSE_MS = 20;
const HOST = hostname();

/**
 * Runs `work` holding `<path>.lock`, a file created with O_EXCL: the one lock every process sharing
 * a directory sees (cluster mode's shared runs_dir), with no native addon.
 *
 * The file names its holder (`<host> <pid> <nonce>`). A lock left by a process that died is broken
 * at once when the holder ran on this host (its pid is gone), and once it is STALE_MS old otherwise.
 * Breaking moves the file aside first and puts it back if it was not the one judged stale, so two
 * processes breaking the same lock never remove a live one.
 */
export async function withFileLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lockPath = `${path}.lock`;
  const token = `${HOST} ${process.pid} ${randomBytes(6).toString('hex')}\n`;
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, MAX_PAUSE_MS)) {
    if (tryCreate(lockPath, token)) break;
    const holder = readHolder(lockPath);
    if (holder !== null && isStale(lockPath, holder)) breakLock(lockPath, holder);
    else await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  try {
    return await work();
  } finally {
    if (readHolder(lockPath) === token) rmSync(lockPath, { force: true });
  }
}

function tryCreate(lockPath: string, token: string): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, token);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The lock's content, or null when it is gone (released meanwhile). */
function readHolder(lockPath: string): string | null {
  try {
    return readFileSync(lockPath, 'utf8');
  } catch {
    return null;
  }
}

function isStale(lockPath: string, holder: string): boolean {
  const [host, pid] = holder.split(' ');
  if (host === HOST && /^\d+$/.test(pid ?? '') && !processAlive(Number(pid))) return true;
  try {
    return Date.now() - statSync(lockPath).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function breakLock(lockPath: string, stale: string): void {
  const aside = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // Broken or released by another process meanwhile.
  }
  try {
    // Another process broke the stale lock and took a new one between our read and our rename:
    // put that one back (unless a third lock exists by now, which then stands).
    if (readHolder(aside) !== stale) linkSync(aside, lockPath);
  } catch {
    // The path holds a newer lock: it stands.
  } finally {
    rmSync(aside, { force: true });
  }
}
