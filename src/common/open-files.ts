import { readdirSync, readFileSync } from 'node:fs';

/**
 * This process's soft limit on open files (`ulimit -n`), from /proc/self/limits; null where that
 * cannot be read (not Linux) or there is no limit. Every SSE stream and HTTP connection holds one.
 */
export function openFilesLimit(): number | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((text) => text.startsWith('Max open files'));
    // "Max open files            1024                 524288               files"
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : null;
  } catch {
    return null;
  }
}

/** How many files this process has open now, from /proc/self/fd (about 1 ms at 1,000); null where it cannot be read. */
export function openFilesInUse(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}
