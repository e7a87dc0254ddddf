import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers of every stream: the ones the reference's clients and proxies expect (docs/API.md, "SSE"). */
const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0, no-transform',
  Pragma: 'no-cache',
  Expire: '0',
  // nginx and other proxies pass each frame on at once instead of buffering the response.
  'X-Accel-Buffering': 'no',
};

/**
 * One SSE response. Frames go straight to the socket while it takes them; once `write()` says the
 * socket is full, frames wait here until `drain`, and past `maxBacklog` waiting frames the
 * connection is dropped (the client reconnects with Last-Event-ID and loses nothing), so a client
 * that does not read never costs unbounded memory.
 */
export class SseWriter {
  private readonly waiting: string[] = [];
  private readonly drainListeners = new Set<() => void>();
  private isBlocked = false;
  private isClosed = false;

  constructor(
    request: IncomingMessage,
    private readonly response: ServerResponse,
    private readonly maxBacklog: number,
    private readonly onOverflow: (pending: number) => void,
  ) {
    request.socket.setKeepAlive(true);
    request.socket.setNoDelay(true);
    request.socket.setTimeout(0);
    response.on('drain', () => this.flush());
    response.once('close', () => {
      this.isClosed = true;
      this.waiting.length = 0;
      this.notifyDrain();
    });
  }

  /** Sends the status line and headers now, so the client knows the stream is open. */
  open(): void {
    this.response.writeHead(200, STREAM_HEADERS);
    this.response.flushHeaders();
    this.response.write('\n');
  }

  /** Frames handed over that have not reached the socket yet. */
  get pending(): number {
    return this.waiting.length;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  write(frame: string): void {
    if (this.isClosed) return;
    if (this.isBlocked) {
      this.waiting.push(frame);
      if (this.waiting.length > this.maxBacklog) {
        const pending = this.waiting.length;
        this.close();
        this.onOverflow(pending);
      }
      return;
    }
    if (!this.response.write(frame)) this.isBlocked = true;
  }

  /** Resolves once at most `frames` wait here (or the stream closed). */
  waitUntilAtMost(frames: number): Promise<void> {
    if (this.pending <= frames || this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.pending > frames && !this.isClosed) return;
        this.drainListeners.delete(check);
        resolve();
      };
      this.drainListeners.add(check);
    });
  }

  end(): void {
    if (!this.isClosed && !this.response.writableEnded) this.response.end();
  }

  /** Drops the connection at once (a client too slow to read). */
  close(): void {
    this.isClosed = true;
    this.waiting.length = 0;
    this.response.destroy();
  }

  private flush(): void {
    this.isBlocked = false;
    while (this.waiting.length > 0 && !this.isBlocked) {
      if (!this.response.write(this.waiting.shift() as string)) this.isBlocked = true;
    }
    this.notifyDrain();
  }

  private notifyDrain(): void {
    for (const listener of [...this.drainListeners]) listener();
  }
}
