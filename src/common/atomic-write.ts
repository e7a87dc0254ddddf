import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { onFileThread } from './file-thread';

/**
 * Writes a temp file beside the target and renames it over: readers see the old or the new file,
 * never half. The directory is made only when the write finds it missing (one call fewer per file).
 * For the rare writes (a gate decision, a patched artifact); the frequent ones use writeFileAtomicAsync.
 */
export function writeFileAtomic(path: string, content: string): void {
  const temp = tempPathFor(path);
  try {
    inDir(path, () => writeFileSync(temp, content));
    renameSync(temp, path);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, jsonFileText(value));
}

/**
 * writeFileAtomic off the event loop, on the file thread (common/file-thread.ts), so a slow file
 * system (creating a file costs up to a millisecond on some, docs/PERFORMANCE.md) does not hold up
 * requests and streams. `makeDir: false` for a file whose directory must already exist: a directory
 * removed meanwhile (a deleted job's) is then an error, not made again.
 */
export async function writeFileAtomicAsync(path: string, content: string, makeDir = true): Promise<void> {
  await onFileThread({ kind: 'writeAtomic', path, temp: tempPathFor(path), content, makeDir });
}

export function writeJsonAtomicAsync(path: string, value: unknown, makeDir = true): Promise<void> {
  return writeFileAtomicAsync(path, jsonFileText(value), makeDir);
}

/** Runs `write`, making the file's directory first if the write found it missing. */
export function inDir<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(dirname(path), { recursive: true });
    return write();
  }
}

/** Unique across processes (and hosts sharing a runs dir, in cluster mode) and within this one. */
const PROCESS_TAG = `${process.pid}.${randomBytes(4).toString('hex')}`;
let tempCount = 0;

function tempPathFor(path: string): string {
  return `${path}.${PROCESS_TAG}.${(tempCount++).toString(36)}.tmp`;
}

function jsonFileText(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}
