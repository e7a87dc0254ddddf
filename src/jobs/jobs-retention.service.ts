import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Interval } from '@nestjs/schedule';
import { whenListening } from '../common/when-listening';
import { OperatorConfig } from '../config/operator-config';
import { DAY_MS, RETENTION_INTERVAL_MS } from '../domain/retention';
import { ConflictError, JobNotFound } from '../domain/errors';
import { JobLifecycle } from '../lifecycle/job-lifecycle.service';
import { Store } from '../store/store.port';

const RETENTION_OPERATOR = 'retention';

/**
 * Deletes finished jobs last changed more than storage.jobs_retention_days ago (0: never), whole:
 * record, events and run dir, each through the lifecycle with its `job_deleted` event. At start-up
 * (once listening) and then with the events' retention interval.
 */
@Injectable()
export class JobsRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger('jobs');

  constructor(
    private readonly config: OperatorConfig,
    private readonly store: Store,
    private readonly lifecycle: JobLifecycle,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    whenListening(this.adapterHost, () => void this.scheduledSweep());
  }

  @Interval(RETENTION_INTERVAL_MS)
  async scheduledSweep(): Promise<void> {
    try {
      const deleted = await this.sweep();
      if (deleted > 0) this.logger.log(`Retention deleted ${deleted} finished job(s) and their run dirs`);
    } catch (error) {
      this.logger.warn(`Job retention did not run: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Resolves to how many jobs were deleted. */
  async sweep(now = new Date()): Promise<number> {
    const days = this.config.storage.jobs_retention_days;
    if (days <= 0) return 0;
    const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
    let deleted = 0;
    for (const jobId of await this.store.finishedJobIdsBefore(cutoff)) {
      try {
        await this.lifecycle.delete(jobId, RETENTION_OPERATOR);
        deleted++;
      } catch (error) {
        // Deleted meanwhile (by hand, or by another instance's sweep): nothing left to do.
        if (!(error instanceof JobNotFound || error instanceof ConflictError)) throw error;
      }
    }
    return deleted;
  }
}
