import { Injectable, Logger } from '@nestjs/common';
import { JobsService } from './jobs.service';

/**
 * Rewrites runs/<id>/state.json after a transition. Refreshes of one job run one after another, each
 * reading the database when its turn comes, so the last write always holds the latest state.
 */
@Injectable()
export class StateFiles {
  private readonly logger = new Logger('orchestrator');
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly jobs: JobsService) {}

  refresh(jobId: string): Promise<void> {
    const previous = this.chains.get(jobId) ?? Promise.resolve();
    const next = previous
      .then(() => this.jobs.writeState(jobId))
      .then(
        () => undefined,
        (error: unknown) => {
          this.logger.error(`Job ${jobId} | state.json not written: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
    this.chains.set(jobId, next);
    void next.then(() => {
      if (this.chains.get(jobId) === next) this.chains.delete(jobId);
    });
    return next;
  }

  /** Resolves once every pending refresh has been written (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }
}
