import { Logger } from '@nestjs/common';
import { ConflictError, StoreUnavailable } from '../domain/errors';
import { Stage } from '../domain/stages';
import { JobLifecycle } from '../lifecycle/job-lifecycle.service';
import { StoreBackoff, untilStored } from './store-backoff';

type Stream = 'stdout' | 'stderr';

/** Lines kept in memory while the store refuses; past this they are counted, and the count is logged as a line. */
const MAX_WAITING_LINES = 10_000;

/**
 * A running stage's output lines as `stage_log` events, in order. Lines are handed over without
 * waiting (units asked for together share a commit); when the store refuses one (locked past its
 * busy timeout, full), it and every later line wait here and are written again, in order, with
 * backoff, once it takes them. `flushed()` resolves when nothing waits, so the stage's outcome is
 * recorded after its last line.
 */
export class StageLogWriter {
  private readonly waiting: [Stream, string][] = [];
  private notKept = 0;
  private retrying: Promise<void> | null = null;

  constructor(
    private readonly jobId: string,
    private readonly stage: Stage,
    private readonly lifecycle: JobLifecycle,
    private readonly backoff: StoreBackoff,
    private readonly signal: AbortSignal,
    private readonly logger: Logger,
  ) {}

  write(stream: Stream, line: string): void {
    if (this.retrying) return this.keep(stream, line);
    this.lifecycle
      .log(this.jobId, this.stage, stream, line)
      .catch((error: unknown) => this.failed(stream, line, error));
  }

  /** Resolves once every line handed over is stored, or can no longer be (the job moved on, or stopped). */
  async flushed(): Promise<void> {
    while (this.retrying) await this.retrying;
  }

  private failed(stream: Stream, line: string, error: unknown): void {
    // The job is no longer running (canceled, say): nothing more of this stage is recorded.
    if (error instanceof ConflictError) return;
    if (!(error instanceof StoreUnavailable)) {
      this.logger.error(
        `Job ${this.jobId} | could not record a line: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    this.backoff.failed(error);
    this.keep(stream, line);
    this.retrying ??= this.writeAgain().finally(() => (this.retrying = null));
  }

  private keep(stream: Stream, line: string): void {
    if (this.waiting.length < MAX_WAITING_LINES) this.waiting.push([stream, line]);
    else this.notKept++;
  }

  private async writeAgain(): Promise<void> {
    // Let the rejections of the other lines of the failed batch arrive first, so they keep their order.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      while (this.waiting.length > 0) {
        const [stream, line] = this.waiting[0];
        await untilStored(() => this.lifecycle.log(this.jobId, this.stage, stream, line), this.backoff, this.signal);
        this.waiting.shift();
      }
      if (this.notKept > 0) {
        const note = `[… ${this.notKept} lines not kept while the store was unavailable]`;
        this.notKept = 0;
        await untilStored(() => this.lifecycle.log(this.jobId, this.stage, 'stderr', note), this.backoff, this.signal);
      }
    } catch {
      // Stopped, or the job moved on: the lines left are of a stage that will not be recorded.
      this.waiting.length = 0;
    }
  }
}
