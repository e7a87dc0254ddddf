import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { OperatorConfig } from '../config/operator-config';
import { RunPaths } from '../config/run-paths';
import { inDir } from '../common/atomic-write';
import { createFileOffLoop } from '../common/file-thread';
import { withFileLock } from './file-lock';
import { Store } from '../store/store.port';
import { PublishedEvent } from '../domain/events';

/**
 * Open append handles kept at once; the least recently written is closed past this. Measured: with
 * every handle of 2,000 jobs kept open, emit() round-robin over 200 or 2,000 jobs was no faster
 * (docs/PERFORMANCE.md, "Scaling"), so the cap stays small.
 */
const MAX_OPEN_FILES = 128;
/** After these a job writes no more lines of its own: its handle is closed at once. */
const FINAL_EVENTS = new Set(['job_completed', 'job_failed', 'job_canceled']);
const CATCH_UP_PAGE = 1000;
const TAIL_BYTES = 64 * 1024;

/**
 * Appends each committed event as one line to runs/<job_id>/events.jsonl, keeping files open between
 * lines. The file is append-only and its line order is id order. The first line this process writes
 * to a file, and any line after a failed append, goes through a catch-up instead: the rows the file
 * lacks are copied from the store in id order (the event at hand among them), and the events that
 * commit meanwhile are left to that catch-up, which reads until it has seen them all.
 *
 * In cluster mode the runs dir is shared and other instances append to the same files, so every
 * line goes through a catch-up, under a lock file per job (withFileLock): the file's last id read
 * under the lock, the rows after it copied from the store. Whichever instance writes, each file
 * holds the store's events in id order, once.
 */
@Injectable()
export class JsonlWriter implements OnApplicationShutdown {
  private readonly logger = new Logger('events');
  private readonly handles = new Map<string, number>();
  private readonly behind = new Set<string>();
  /** Jobs whose file this process has brought up to the store once; a later line just appends. */
  private readonly checked = new Set<string>();
  /** Catch-ups under way, and whether an event committed for that job while one was reading. */
  private readonly catchingUp = new Map<string, { hasMore: boolean; done: Promise<number> }>();

  /** Other processes write to these files too (cluster mode's shared runs dir). */
  private readonly isShared: boolean;

  constructor(
    private readonly paths: RunPaths,
    private readonly store: Store,
    config: OperatorConfig,
  ) {
    this.isShared = config.storage.engine !== 'sqlite';
  }

  /**
   * Creates a new job's empty events.jsonl off the event loop, before its first event commits, and
   * keeps it open: `job_created` is then an append like any other (creating a file can cost a
   * millisecond on the event loop, docs/PERFORMANCE.md). A file that exists already is left to the
   * usual first-line catch-up.
   */
  async start(jobId: string): Promise<void> {
    const path = this.paths.eventsFile(jobId);
    try {
      // The new inode is made on the file thread (common/file-thread.ts); opening it is then cheap.
      await createFileOffLoop(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw error;
    }
    // Shared: every line goes through a catch-up under the file lock; the file is all it needs.
    if (this.isShared || this.handles.has(jobId)) return;
    this.keep(jobId, openSync(path, 'a'));
    this.checked.add(jobId);
  }

  /**
   * Appends a batch's events, in id order, with one write per job. Never throws: the store is the
   * truth, and lines that could not be written are caught up later.
   */
  appendAll(events: readonly PublishedEvent[]): void {
    const byJob = new Map<string, PublishedEvent[]>();
    for (const published of events) {
      // The job is gone, its run dir with it (RunDirs): nothing to write, and nothing to keep open.
      if (published.event.type === 'job_deleted') continue;
      const jobId = published.event.job_id;
      const lines = byJob.get(jobId);
      if (lines) lines.push(published);
      else byJob.set(jobId, [published]);
    }
    for (const [jobId, lines] of byJob) this.appendLines(jobId, lines);
  }

  private appendLines(jobId: string, lines: PublishedEvent[]): void {
    // A job's first event starts its file: there is nothing before it to catch up.
    if (
      !this.isShared &&
      lines[0].event.type === 'job_created' &&
      !this.checked.has(jobId) &&
      !this.behind.has(jobId)
    ) {
      if (!existsSync(this.paths.eventsFile(jobId))) this.checked.add(jobId);
    }
    if (this.isShared || this.behind.has(jobId) || !this.checked.has(jobId)) {
      // Shared: the lines of several events, and of other instances', are routine in one catch-up.
      void this.catchUp(jobId, this.isShared ? Number.POSITIVE_INFINITY : lines.length);
      return;
    }
    try {
      writeAll(this.handle(jobId), lines.map(({ json }) => json + '\n').join(''));
      if (lines.some(({ event }) => FINAL_EVENTS.has(event.type))) this.close(jobId);
    } catch (error) {
      this.markBehind(jobId, error);
    }
  }

  /** Lets go of a deleted job's file once any catch-up of it has finished. */
  async forget(jobId: string): Promise<void> {
    await this.catchingUp.get(jobId)?.done;
    this.close(jobId);
    this.checked.delete(jobId);
    this.behind.delete(jobId);
  }

  /** Brings every job's file up to the store (start-up). Returns how many lines were appended. */
  async catchUpAll(): Promise<number> {
    let appended = 0;
    for (const jobId of await this.store.jobIdsWithEvents()) appended += await this.catchUp(jobId);
    return appended;
  }

  /**
   * Appends the rows the job's file lacks, in id order. `expected` lines (the event being appended
   * now) are routine; more than that is reported. Resolves to how many lines were appended.
   */
  catchUp(jobId: string, expected = 0): Promise<number> {
    const running = this.catchingUp.get(jobId);
    if (running) {
      running.hasMore = true;
      return running.done;
    }
    const state = { hasMore: false, done: Promise.resolve(0) };
    state.done = this.copyMissing(jobId, expected, state).finally(() => this.catchingUp.delete(jobId));
    this.catchingUp.set(jobId, state);
    return state.done;
  }

  /** Resolves once every catch-up under way has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.catchingUp.size > 0) await Promise.all([...this.catchingUp.values()].map((state) => state.done));
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

  async onApplicationShutdown(): Promise<void> {
    await this.settled();
    for (const jobId of [...this.handles.keys()]) this.close(jobId);
  }

  private async copyMissing(jobId: string, expected: number, state: { hasMore: boolean }): Promise<number> {
    if (!this.isShared) return this.copyMissingUnlocked(jobId, expected, state);
    try {
      mkdirSync(this.paths.jobDir(jobId), { recursive: true });
      return await withFileLock(this.paths.eventsFile(jobId), () => this.copyMissingUnlocked(jobId, expected, state));
    } catch (error) {
      this.markBehind(jobId, error);
      return 0;
    }
  }

  private async copyMissingUnlocked(jobId: string, expected: number, state: { hasMore: boolean }): Promise<number> {
    let appended = 0;
    try {
      const path = this.paths.eventsFile(jobId);
      const { lastId, endsWithNewline } = existsSync(path) ? readTail(path) : { lastId: 0, endsWithNewline: true };
      const fd = this.handle(jobId);
      // A line torn by a crash stays as it was (append-only); the next line starts on a line of its own.
      if (!endsWithNewline) writeAll(fd, '\n');
      let cursor = lastId;
      do {
        state.hasMore = false;
        for (;;) {
          const page = await this.store.eventsAfter({ jobId }, cursor, CATCH_UP_PAGE);
          if (page.length === 0) break;
          writeAll(this.handle(jobId), page.map((event) => JSON.stringify(event) + '\n').join(''));
          appended += page.length;
          cursor = page[page.length - 1].id;
        }
      } while (state.hasMore);
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

  private handle(jobId: string): number {
    const open = this.handles.get(jobId);
    if (open !== undefined) {
      this.handles.delete(jobId);
      this.handles.set(jobId, open);
      return open;
    }
    const path = this.paths.eventsFile(jobId);
    const fd = inDir(path, () => openSync(path, 'a'));
    this.keep(jobId, fd);
    return fd;
  }

  private keep(jobId: string, fd: number): void {
    this.handles.set(jobId, fd);
    if (this.handles.size > MAX_OPEN_FILES) this.close(this.handles.keys().next().value as string);
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
