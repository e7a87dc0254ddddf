import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RunPaths } from '../config/run-paths';
import { EventStore } from './event-store';
import { PublishedEvent } from '../domain/events';

/** Open append handles kept at once; the least recently written is closed past this. */
const MAX_OPEN_FILES = 128;
const CATCH_UP_PAGE = 1000;
const TAIL_BYTES = 64 * 1024;

/**
 * Appends each event as one line to runs/<job_id>/events.jsonl, keeping files open between lines.
 * The file is append-only and its line order is id order: after a failed append the job is marked
 * behind, and its next append first copies the missing rows from the database, in order.
 */
@Injectable()
export class JsonlWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('events');
  private readonly handles = new Map<string, number>();
  private readonly behind = new Set<string>();
  /** Jobs whose file this process has brought up to the database once; a later reopen just appends. */
  private readonly checked = new Set<string>();

  constructor(
    private readonly paths: RunPaths,
    private readonly store: EventStore,
  ) {}

  /**
   * Never throws: the database is the truth, and a failed line is caught up later. The first line a
   * process writes to a file goes through the catch-up, so a file left behind by a crash is completed
   * (in id order) before anything new is added to it.
   */
  append({ event, json }: PublishedEvent): void {
    if (this.behind.has(event.job_id) || !this.checked.has(event.job_id)) {
      this.catchUp(event.job_id, 1);
      return;
    }
    try {
      writeAll(this.handle(event.job_id), json + '\n');
    } catch (error) {
      this.markBehind(event.job_id, error);
    }
  }

  /** Brings every job's file up to the database (start-up). Returns how many lines were appended. */
  catchUpAll(): number {
    let appended = 0;
    for (const jobId of this.store.jobIdsWithEvents()) appended += this.catchUp(jobId);
    return appended;
  }

  /**
   * Appends the rows the job's file lacks, in id order. `expected` lines (the event being appended
   * now) are routine; more than that is reported. Returns how many lines were appended.
   */
  catchUp(jobId: string, expected = 0): number {
    let appended = 0;
    try {
      const path = this.paths.eventsFile(jobId);
      const { lastId, endsWithNewline } = existsSync(path) ? readTail(path) : { lastId: 0, endsWithNewline: true };
      const fd = this.handle(jobId);
      // A line torn by a crash stays as it was (append-only); the next line starts on a line of its own.
      if (!endsWithNewline) writeAll(fd, '\n');
      for (let cursor = lastId; ;) {
        const page = this.store.eventsAfter({ jobId }, cursor, CATCH_UP_PAGE);
        if (page.length === 0) break;
        writeAll(fd, page.map((event) => JSON.stringify(event) + '\n').join(''));
        appended += page.length;
        cursor = page[page.length - 1].id;
      }
      this.behind.delete(jobId);
      this.checked.add(jobId);
      if (appended > expected) {
        this.logger.warn(`Job ${jobId} | events.jsonl caught up with ${appended - expected} line(s) from the database`);
      }
    } catch (error) {
      this.markBehind(jobId, error);
    }
    return appended;
  }

  isBehind(jobId: string): boolean {
    return this.behind.has(jobId);
  }

  close(jobId: string): void {
    const fd = this.handles.get(jobId);
    if (fd === undefined) return;
    this.handles.delete(jobId);
    try {
      closeSync(fd);
    } catch {
      // Already closed or gone: nothing left to release.
    }
  }

  onApplicationShutdown(): void {
    for (const jobId of [...this.handles.keys()]) this.close(jobId);
  }

  private handle(jobId: string): number {
    const open = this.handles.get(jobId);
    if (open !== undefined) {
      this.handles.delete(jobId);
      this.handles.set(jobId, open);
      return open;
    }
    const path = this.paths.eventsFile(jobId);
    mkdirSync(dirname(path), { recursive: true });
    const fd = openSync(path, 'a');
    this.handles.set(jobId, fd);
    if (this.handles.size > MAX_OPEN_FILES) this.close(this.handles.keys().next().value as string);
    return fd;
  }

  private markBehind(jobId: string, error: unknown): void {
    this.close(jobId);
    if (!this.behind.has(jobId)) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error(
        `Job ${jobId} | events.jsonl append failed (${reason}); the database keeps the event and the file is caught up on the next event or at start-up`,
      );
    }
    this.behind.add(jobId);
  }
}

function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text, 'utf8');
  let offset = 0;
  while (offset < buffer.length) offset += writeSync(fd, buffer, offset, buffer.length - offset);
}

/** The id of the file's last complete JSON line, and whether the file ends with a newline. */
export function readTail(path: string): { lastId: number; endsWithNewline: boolean } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { lastId: 0, endsWithNewline: true };
    let length = Math.min(size, TAIL_BYTES);
    for (;;) {
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      const text = buffer.toString('utf8');
      const endsWithNewline = text.endsWith('\n');
      const lines = text.split('\n');
      // The first line of a partial read may be cut; it only counts when the read reached the file's start.
      const firstComplete = length === size ? 0 : 1;
      for (let i = lines.length - 1; i >= firstComplete; i--) {
        const id = idOfLine(lines[i]);
        if (id !== null) return { lastId: id, endsWithNewline };
      }
      if (length === size) return { lastId: 0, endsWithNewline };
      length = Math.min(size, length * 4);
    }
  } finally {
    closeSync(fd);
  }
}

function idOfLine(line: string): number | null {
  if (!line.trim()) return null;
  try {
    const parsed = JSON.parse(line) as { id?: unknown };
    return typeof parsed.id === 'number' ? parsed.id : null;
  } catch {
    return null;
  }
}
