import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Interval } from '@nestjs/schedule';
import { whenListening } from '../common/when-listening';
import { OperatorConfig } from '../config/operator-config';
import { DAY_MS, RETENTION_INTERVAL_MS } from '../domain/retention';
import { Store } from '../store/store.port';

export interface RetentionResult {
  removedOld: number;
  removedOverCap: number;
}

/**
 * Removes events from the database (never from events.jsonl, the append-only archive): those of
 * finished jobs older than storage.events_retention_days, and those beyond the newest
 * storage.max_events_per_job of any job. Each job remembers the newest id removed, so a cursor
 * before it is told with `history_truncated`. (Whole jobs: JobsRetention, src/jobs.)
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('events');

  constructor(
    private readonly config: OperatorConfig,
    private readonly store: Store,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** At start-up too: an instance restarted more often than the interval still prunes. */
  onApplicationBootstrap(): void {
    whenListening(this.adapterHost, () => void this.scheduledSweep());
  }

  @Interval(RETENTION_INTERVAL_MS)
  async scheduledSweep(): Promise<void> {
    try {
      const result = await this.sweep();
      if (result.removedOld + result.removedOverCap > 0) {
        this.logger.log(
          `Retention removed ${result.removedOld} old and ${result.removedOverCap} over-cap events from the database`,
        );
      }
    } catch (error) {
      this.logger.warn(`Retention did not run: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  sweep(now = new Date()): Promise<RetentionResult> {
    const { events_retention_days: days, max_events_per_job: cap } = this.config.storage;
    return this.store.pruneEvents(new Date(now.getTime() - days * DAY_MS).toISOString(), cap);
  }
}
