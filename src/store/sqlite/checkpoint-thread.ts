import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import { Database } from 'better-sqlite3';

/** How often the thread checkpoints the WAL. */
export const CHECKPOINT_INTERVAL_MS = 100;

/**
 * The WAL size (pages of 4 KiB) past which a commit on the event loop checkpoints it itself: the
 * backstop for a thread that cannot keep up or has stopped. SQLite's default is 1,000.
 */
export const BACKSTOP_PAGES = 10_000;

/** SQLite's own default, back in force when the thread is gone. */
const DEFAULT_AUTOCHECKPOINT_PAGES = 1_000;

/**
 * The thread's code, plain JavaScript (the built service and the tests' TypeScript run it alike). A
 * PASSIVE checkpoint never waits for a lock and never blocks the writer; with nothing new in the WAL
 * it reads the WAL index and returns, so an idle service pays a few microseconds a tick.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
let lastError = null;
let timer = null;
function checkpoint() {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    if (lastError !== null) parentPort.postMessage({ kind: 'recovered' });
    lastError = null;
  } catch (error) {
    if (lastError !== error.message) parentPort.postMessage({ kind: 'failed', message: error.message });
    lastError = error.message;
  }
  Atomics.add(workerData.runs, 0, 1);
  timer = setTimeout(checkpoint, workerData.intervalMs);
}
parentPort.on('message', (kind) => {
  if (kind === 'truncate') {
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      parentPort.postMessage({ kind: 'truncated' });
    } catch (error) {
      parentPort.postMessage({ kind: 'truncated', message: error.message, code: error.code });
    }
    return;
  }
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
checkpoint();
`;

interface Truncated {
  kind: 'truncated';
  message?: string;
  code?: string;
}
type ThreadMessage = Truncated | { kind: 'failed'; message: string } | { kind: 'recovered' };

/**
 * A worker thread that checkpoints the database's WAL into the database file, with a connection of
 * its own, so the event loop's commits only append to the WAL. Without it, every ~1,000 pages a
 * commit would copy them back and fsync both files on the event loop: on this machine's disk, a
 * COMMIT's p99 over whole jobs was 4.3–5.4 ms that way, and is 0.3–1.6 ms with the thread
 * (docs/PERFORMANCE.md, "Checkpoints off the event loop").
 */
export class CheckpointThread {
  private readonly logger = new Logger('database');
  private readonly worker: Worker;
  private readonly runs = new Int32Array(new SharedArrayBuffer(4));
  private readonly exited: Promise<void>;
  private readonly truncating: ((answer: Truncated) => void)[] = [];
  private isGone = false;

  constructor(
    private readonly db: Database,
    intervalMs = CHECKPOINT_INTERVAL_MS,
  ) {
    this.worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), path: db.name, intervalMs, runs: this.runs },
    });
    this.worker.unref();
    this.worker.on('message', (message: ThreadMessage) => {
      if (message.kind === 'truncated') this.truncating.shift()?.(message);
      else if (message.kind === 'failed') this.logger.warn(`A checkpoint failed: ${message.message}`);
      else this.logger.log('Checkpoints succeed again');
    });
    this.worker.on('error', (error) => {
      this.logger.warn(`The checkpoint thread stopped (${error.message}): commits checkpoint the WAL themselves`);
      this.handBack();
    });
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        this.isGone = true;
        for (const answer of this.truncating.splice(0)) answer({ kind: 'truncated', message: 'the thread stopped' });
        resolve();
      }),
    );
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  }

  /** Checkpoints the thread has run so far (tests). */
  get checkpoints(): number {
    return Atomics.load(this.runs, 0);
  }

  /**
   * Checkpoints the whole WAL and truncates it to nothing, on the thread; the caller makes sure the
   * event loop's connection holds no transaction meanwhile. A WAL still read by another process is
   * left as it is (SQLite reports it busy), as the event loop's own checkpoint would.
   */
  async truncate(): Promise<void> {
    if (this.isGone) {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      return;
    }
    // Kept alive while it owes the answer: a shutdown waiting on it must not see an empty loop.
    this.worker.ref();
    const answer = await new Promise<Truncated>((resolve) => {
      this.truncating.push(resolve);
      this.worker.postMessage('truncate');
    }).finally(() => this.worker.unref());
    if (answer.message !== undefined) throw Object.assign(new Error(answer.message), { code: answer.code });
  }

  /** Stops the thread (it closes its connection); the event loop's commits checkpoint again. */
  async close(): Promise<void> {
    this.worker.ref();
    this.worker.postMessage('close');
    await this.exited;
    this.handBack();
  }

  private handBack(): void {
    if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
  }
}
