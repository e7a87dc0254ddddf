import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FormatOptions, ServedEvent, formatEvent } from './format';

export interface TailOptions extends FormatOptions {
  follow: boolean;
  json: boolean;
  types?: string[];
  runsDir: string;
  out: (line: string) => void;
}

const FOLLOW_MS = 200;

/** A job id names runs/<id>/events.jsonl; anything else is a path. */
export function eventsFileOf(target: string, runsDir: string): string {
  return existsSync(target) || target.includes('/') || target.endsWith('.jsonl')
    ? target
    : join(runsDir, target, 'events.jsonl');
}

/**
 * Prints a whole events.jsonl from disk (no server needed), then with `follow` the lines appended
 * after, like `tail -f`. A line torn by a crash is skipped. Resolves when not following.
 */
export async function tailFile(path: string, options: TailOptions, signal?: AbortSignal): Promise<void> {
  if (!existsSync(path)) throw new Error(`no such file: ${path}`);
  let offset = 0;
  let pending = '';
  const readNew = (): void => {
    const size = statSync(path).size;
    if (size <= offset) return;
    const fd = openSync(path, 'r');
    try {
      const buffer = Buffer.alloc(size - offset);
      readSync(fd, buffer, 0, buffer.length, offset);
      offset = size;
      const lines = (pending + buffer.toString('utf8')).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) print(line);
    } finally {
      closeSync(fd);
    }
  };
  const print = (line: string): void => {
    if (!line.trim()) return;
    let event: ServedEvent;
    try {
      event = JSON.parse(line) as ServedEvent;
    } catch {
      return;
    }
    if (options.types && !options.types.includes(event.type)) return;
    options.out(options.json ? JSON.stringify(event) : formatEvent(event, options));
  };
  readNew();
  if (!options.follow) {
    print(pending);
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(readNew, FOLLOW_MS);
    signal?.addEventListener('abort', () => {
      clearInterval(timer);
      resolve();
    });
  });
}
