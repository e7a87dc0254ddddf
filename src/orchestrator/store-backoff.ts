import { Logger } from '@nestjs/common';
import { StoreUnavailable } from '../domain/errors';

/**
 * Capped exponential backoff for work that needs the store, logging once when it starts failing and
 * once when it works again, never once per attempt: a full disk costs a few lines, not a flood.
 * `failed` returns the pause before the next try of that one piece of work (its own count of tries).
 */
export class StoreBackoff {
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly firstMs = 50,
    private readonly maxMs = 2_000,
  ) {}

  /** Records a failure of a try (the `attempt`-th in a row of that work); returns the pause before the next. */
  failed(error: unknown, attempt = this.failures): number {
    if (this.failures === 0) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `${this.what} failed: ${reason}; trying again with backoff (at most every ${this.maxMs / 1000} s)`,
      );
    }
    this.failures++;
    return Math.min(this.firstMs * 2 ** attempt, this.maxMs);
  }

  succeeded(): void {
    if (this.failures > 0) this.logger.log(`${this.what} works again after ${this.failures} failed tries`);
    this.failures = 0;
  }
}

/**
 * Runs `action` until it is not refused for an unavailable store: retried with backoff, each wait cut
 * short when `signal` aborts (then the last error is thrown). Any other error is thrown at once.
 */
export async function untilStored<T>(action: () => Promise<T>, backoff: StoreBackoff, signal: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      const result = await action();
      backoff.succeeded();
      return result;
    } catch (error) {
      if (!(error instanceof StoreUnavailable) || signal.aborted) throw error;
      const pauseMs = backoff.failed(error, attempt);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pauseMs);
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
      if (signal.aborted) throw error;
    }
  }
}
