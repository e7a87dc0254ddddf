import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { TERMINAL_STATUSES } from '../domain/stages';
import { OperatorConfig } from '../config/operator-config';
import { Sqlite } from '../database/database.module';
import { StatementCache } from '../database/statement-cache';

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
  private readonly statements: StatementCache;

  constructor(
    private readonly config: OperatorConfig,
    private readonly sqlite: Sqlite,
  ) {
    this.statements = new StatementCache(sqlite.db);
  }

  @Interval(RETENTION_INTERVAL_MS)
  scheduledSweep(): void {
    const result = this.sweep();
    if (result.removedOld + result.removedOverCap > 0) {
      this.logger.log(
        `Retention removed ${result.removedOld} old and ${result.removedOverCap} over-cap events from the database`,
      );
    }
  }

  sweep(now = new Date()): RetentionResult {
    const { events_retention_days: days, max_events_per_job: cap } = this.config.storage;
    const cutoff = new Date(now.getTime() - days * DAY_MS).toISOString();
    const finished = TERMINAL_STATUSES.map((status) => `'${status}'`).join(', ');
    return this.sqlite.db.transaction((): RetentionResult => {
      let removedOld = 0;
      const old = this.statements
        .get(
          `SELECT e.job_id AS jobId, MAX(e.id) AS through FROM events e JOIN jobs j ON j.id = e.job_id
           WHERE j.status IN (${finished}) AND e.ts < ? GROUP BY e.job_id`,
        )
        .all(cutoff) as { jobId: string; through: number }[];
      for (const { jobId, through } of old) {
        removedOld += this.statements.get('DELETE FROM events WHERE job_id = ? AND ts < ?').run(jobId, cutoff).changes;
        this.markPruned(jobId, through);
      }
      let removedOverCap = 0;
      const crowded = this.statements
        .get('SELECT job_id AS jobId FROM events GROUP BY job_id HAVING COUNT(*) > ?')
        .all(cap) as { jobId: string }[];
      for (const { jobId } of crowded) {
        const boundary = this.statements
          .get('SELECT id FROM events WHERE job_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?')
          .get(jobId, cap) as { id: number };
        removedOverCap += this.statements
          .get('DELETE FROM events WHERE job_id = ? AND id <= ?')
          .run(jobId, boundary.id).changes;
        this.markPruned(jobId, boundary.id);
      }
      return { removedOld, removedOverCap };
    })();
  }

  private markPruned(jobId: string, through: number): void {
    this.statements
      .get('UPDATE jobs SET events_pruned_through = MAX(COALESCE(events_pruned_through, 0), ?) WHERE id = ?')
      .run(through, jobId);
  }
}
