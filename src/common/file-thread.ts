import { Worker } from 'node:worker_threads';

/**
 * The file thread: a worker thread that runs the service's frequent small file calls (a job's run
 * dir, its state.json, its artifacts) with synchronous calls, so the event loop neither waits for a
 * slow disk nor pays for each call. The operations asked for in one turn of the event loop go to the
 * thread as one message and come back as one; the thread runs them in order.
 *
 * Measured against libuv's thread pool (`fs/promises`), an atomic 2 KB write costs the event loop
 * 5–8 µs instead of 82–102 µs on tmpfs, and 20 µs instead of 127–166 µs on this machine's ext4
 * (docs/PERFORMANCE.md, "The file thread").
 *
 * The thread never keeps a file open: a worker thread that stops closes the fds it opened, so an fd
 * handed from it to the event loop would be closed under its new owner (and its number reused).
 */
export type FileOp =
  | { kind: 'mkdir'; path: string; recursive: boolean }
  /** A new empty file (EEXIST if there is one). */
  | { kind: 'create'; path: string }
  /** `content` to `temp`, then renamed over `path`; with `makeDir`, a missing directory is made first. */
  | { kind: 'writeAtomic'; path: string; temp: string; content: string; makeDir: boolean };

/** What an operation's call threw, as the thread sends it back. */
interface ThrownByThread {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

/** Each operation's outcome, in the batch's order: null when it succeeded. */
type Outcome = ThrownByThread | null;

/**
 * The thread's code, plain JavaScript: a worker runs it as it is, both in the built service and
 * under the tests' TypeScript. It only uses Node's own modules.
 */
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { dirname } = require('node:path');

function writeAtomic({ path, temp, content, makeDir }) {
  try {
    try {
      fs.writeFileSync(temp, content);
    } catch (error) {
      if (!makeDir || error.code !== 'ENOENT') throw error;
      fs.mkdirSync(dirname(temp), { recursive: true });
      fs.writeFileSync(temp, content);
    }
    fs.renameSync(temp, path);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

const calls = {
  mkdir: ({ path, recursive }) => fs.mkdirSync(path, { recursive }),
  create: ({ path }) => fs.writeFileSync(path, '', { flag: 'wx' }),
  writeAtomic,
};

parentPort.on('message', (ops) => {
  parentPort.postMessage(
    ops.map((op) => {
      try {
        calls[op.kind](op);
        return null;
      } catch (error) {
        const { message, code, errno, syscall, path } = error;
        return { message, code, errno, syscall, path };
      }
    }),
  );
});
`;

/** An idle thread is stopped after this long (a later call starts another). */
const IDLE_MS = 10_000;

interface Pending {
  op: FileOp;
  resolve: () => void;
  reject: (error: Error) => void;
}

class FileThread {
  private worker: Worker | null = null;
  private next: Pending[] = [];
  /** Batches sent, in the order their answers come back. */
  private readonly sent: Pending[][] = [];
  private idleTimer: NodeJS.Timeout | null = null;

  run(op: FileOp): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.next.push({ op, resolve, reject }) === 1) setImmediate(() => this.send());
    });
  }

  private send(): void {
    const batch = this.next;
    this.next = [];
    const worker = this.worker ?? this.start();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    // Kept alive while it owes answers: a shutdown waiting on a write must not see an empty loop.
    worker.ref();
    this.sent.push(batch);
    worker.postMessage(batch.map((pending) => pending.op));
  }

  private start(): Worker {
    const worker = new Worker(THREAD_SOURCE, { eval: true });
    worker.on('message', (outcomes: Outcome[]) => {
      const batch = this.sent.shift() ?? [];
      outcomes.forEach((outcome, i) => (outcome ? batch[i].reject(errorOf(outcome)) : batch[i].resolve()));
      if (this.sent.length === 0) this.idle(worker);
    });
    worker.on('error', (error) => this.lost(worker, error));
    worker.on('exit', (code) => this.lost(worker, new Error(`the file thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private idle(worker: Worker): void {
    worker.unref();
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.sent.length > 0) return;
      this.worker = null;
      void worker.terminate();
    }, IDLE_MS).unref();
  }

  /** The thread is gone: what it still owed fails, and the next call starts a new one. */
  private lost(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = null;
    for (const batch of this.sent.splice(0)) for (const pending of batch) pending.reject(error);
  }
}

/** An Error like the one the synchronous call would have thrown (same message, code, errno, syscall, path). */
function errorOf(thrown: ThrownByThread): NodeJS.ErrnoException {
  return Object.assign(new Error(thrown.message), {
    code: thrown.code,
    errno: thrown.errno,
    syscall: thrown.syscall,
    path: thrown.path,
  });
}

/** The process's one file thread. */
const thread = new FileThread();

/** Runs one file operation on the file thread. */
export function onFileThread(op: FileOp): Promise<void> {
  return thread.run(op);
}

/** `mkdir` on the file thread (`recursive`: the parents too, and no error if it exists). */
export function makeDirOffLoop(path: string, recursive = true): Promise<void> {
  return thread.run({ kind: 'mkdir', path, recursive });
}

/** A new empty file, made on the file thread (EEXIST if there is one). */
export function createFileOffLoop(path: string): Promise<void> {
  return thread.run({ kind: 'create', path });
}
