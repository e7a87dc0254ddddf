import type { ServerResponse } from 'node:http';
import { STREAM_PREAMBLE, SseFrame, formatFrame } from './sse-frames';

/** The headers Nest's SseStream sent, in its order, so clients and proxies see no difference. */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  Connection: 'keep-alive',
  'Cache-Control': 'private, no-cache, no-store, must-revalidate, max-age=0, no-transform',
  Pragma: 'no-cache',
  Expire: '0',
  'X-Accel-Buffering': 'no',
} as const;

export interface SseWriterOptions {
  /** Frames that may wait for a client that does not read before its connection is destroyed. */
  maxBacklog: number;
  /** Told once, just before a client is cut off for not reading. */
  onOverflow?: (pending: number) => void;
}

/**
 * One SSE response, written straight to Node's ServerResponse. Frames go to the socket while it takes
 * them; once `write()` reports a full buffer they wait here, in order, until 'drain'. Past `maxBacklog`
 * waiting frames the connection is destroyed: the client reconnects with Last-Event-ID and loses
 * nothing, and the memory a client that does not read can hold stays bounded.
 */
export class SseWriter {
  private readonly waiting: (string | Buffer)[] = [];
  private blocked = false;
  private ending = false;
  private isClosed = false;
  private readonly closeCallbacks: (() => void)[] = [];
  private readonly drainWaiters: { frames: number; resolve: () => void }[] = [];

  constructor(
    private readonly response: ServerResponse,
    private readonly options: SseWriterOptions,
  ) {
    // 'close' comes when the client leaves, the connection is destroyed, or the ended response is sent.
    response.once('close', () => this.markClosed());
    response.on('drain', () => this.flush());
    // The client may have left while the request was still being checked.
    if (response.destroyed || response.req.socket.destroyed) this.markClosed();
  }

  /** Frames waiting for the client to read (not counting what the socket has already taken). */
  get pending(): number {
    return this.waiting.length;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Status, headers and socket options as Nest's @Sse() set them; a HEAD request ends here. */
  open(): void {
    if (this.isClosed) return;
    const socket = this.response.req.socket;
    socket.setKeepAlive(true);
    socket.setNoDelay(true);
    socket.setTimeout(0);
    // Headers set earlier (security headers, CORS) go first, as Nest passed them on the same way.
    this.response.writeHead(this.response.statusCode, { ...this.response.getHeaders(), ...SSE_HEADERS });
    this.response.flushHeaders();
    this.write(STREAM_PREAMBLE);
    if (this.response.req.method === 'HEAD') this.end();
  }

  send(frame: SseFrame): void {
    if (this.isClosed || this.ending) return;
    this.write(formatFrame(frame));
  }

  /** A frame already formatted (a published event's, shared by every stream: sse-frames.ts). */
  sendBytes(frame: Buffer): void {
    if (this.isClosed || this.ending) return;
    this.write(frame);
  }

  /** Resolves once at most `frames` wait (at once if they already do), or the connection is gone. */
  waitUntilAtMost(frames: number): Promise<void> {
    if (this.isClosed || this.waiting.length <= frames) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ frames, resolve }));
  }

  /** Ends the response once the frames that wait have been written; later frames are dropped. */
  end(): void {
    if (this.isClosed || this.ending) return;
    this.ending = true;
    if (this.waiting.length === 0) this.response.end();
  }

  /** Calls `callback` once the connection is gone or the response is over (at once if it already is). */
  onClose(callback: () => void): void {
    if (this.isClosed) callback();
    else this.closeCallbacks.push(callback);
  }

  /**
   * Frames written in one turn of the event loop leave in one socket write: Node's http corks the
   * socket at a response's write and uncorks it on the next tick.
   */
  private write(text: string | Buffer): void {
    if (this.blocked) {
      this.waiting.push(text);
      if (this.waiting.length > this.options.maxBacklog) this.overflow();
      return;
    }
    if (!this.response.write(text)) this.blocked = true;
  }

  private flush(): void {
    if (this.isClosed) return;
    this.blocked = false;
    let written = 0;
    while (written < this.waiting.length && !this.blocked) {
      this.blocked = !this.response.write(this.waiting[written++]);
    }
    this.waiting.splice(0, written);
    this.wakeWaiters();
    if (this.ending && this.waiting.length === 0) this.response.end();
  }

  private overflow(): void {
    this.options.onOverflow?.(this.waiting.length);
    this.response.destroy();
    this.markClosed();
  }

  private wakeWaiters(): void {
    for (let i = this.drainWaiters.length - 1; i >= 0; i--) {
      const waiter = this.drainWaiters[i];
      if (this.isClosed || this.waiting.length <= waiter.frames) {
        this.drainWaiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  private markClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.waiting.length = 0;
    this.wakeWaiters();
    for (const callback of this.closeCallbacks.splice(0)) callback();
  }
}
