import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { OperatorConfig } from '../config/operator-config';
import { Store } from '../store/store.port';

const DAY_MS = 86_400_000;
/** Retention runs every ten minutes; it is idempotent, so a restart simply runs it again. */
export const RETENTION_INTERVAL_MS = 10 * 60_000;

export interface RetentionResult {
  removedOld: number;
  removedOverCap: number;
}

/**
 * Removes events from the database (never from events.jsonl, the append-only archive): those of
 * finished jobs older than storage.events_retention_days, and those beyond the newest
 * storage.max_events_per_job of any job. Each job remembers the newest id removed, so a cursor
 * before it is told with `history_truncated`.
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger('events');

  constructor(
    private readonly config: OperatorConfig,
    private readonly store: Store,
  ) {}

  @Interval(RETENTION_INTERVAL_MS)
  async scheduledSweep(): Promise<void> {
    const result = await this.sweep();
    if (result.removedOld + result.removedOverCap > 0) {
      this.logger.log(
        `Retention removed ${result.removedOld} old and ${result.removedOverCap} over-cap events from the database`,
      );
    }
  }

  sweep(now = new Date()): Promise<RetentionResult> {
    const { events_retention_days: days, max_events_per_job: cap } = this.config.storage;
    return this.store.pruneEvents(new Date(now.getTime() - days * DAY_MS).toISOString(), cap);
  }
}
