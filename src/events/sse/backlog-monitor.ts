import type { ServerResponse } from 'node:http';

/**
 * Counts the frames handed to Nest's SSE writer that have not reached the socket yet. Nest queues
 * frames for a client that does not read; past `maxFrames` the connection is dropped (the client
 * reconnects with Last-Event-ID and loses nothing), so memory stays bounded.
 */
export class BacklogMonitor {
  private handed = 0;
  private written = 0;
  private readonly originalWrite: ServerResponse['write'];
  private disposed = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly maxFrames: number,
    private readonly onOverflow: (pending: number) => void,
  ) {
    this.originalWrite = response.write;
    const write = this.originalWrite as (...args: unknown[]) => boolean;
    response.write = ((...args: unknown[]) => {
      this.written++;
      return write.apply(response, args);
    }) as ServerResponse['write'];
  }

  get pending(): number {
    return Math.max(0, this.handed - this.written);
  }

  /** Call once per frame handed to Nest. */
  handedOne(): void {
    this.handed++;
    if (!this.disposed && this.pending > this.maxFrames) {
      this.disposed = true;
      this.onOverflow(this.pending);
    }
  }

  /** Resolves once at most `frames` are pending (or the stream ended). */
  async waitUntilAtMost(frames: number, isStopped: () => boolean): Promise<void> {
    while (this.pending > frames && !isStopped()) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  dispose(): void {
    this.disposed = true;
    this.response.write = this.originalWrite;
  }
}
