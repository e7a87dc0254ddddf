import { Logger } from '@nestjs/common';
import { CommitListener, StoreTx } from '../store.port';
import { CommittedUnit, MAX_BATCH, QueuedUnit, announce, enqueue } from '../unit-queue';
import { ExclusiveConnection } from './sqlite-connection';
import { isBusy, storeErrorOf } from './sqlite-errors';
import { MonotonicClock, SqliteTx } from './sqlite-tx';
import { StatementCache } from './statement-cache';

/** Waits between two tries for a write lock another process holds: doubling from the first, up to the last. */
const BUSY_BACKOFF_MS = { first: 5, max: 200 };

/**
 * Group commit: units of work asked for while one runs share its transaction, each in a savepoint
 * of its own, so a burst of them (a stage printing lines) pays for one commit instead of one each.
 * A unit that throws is rolled back to its savepoint alone; the others still commit. Each unit's
 * promise settles only after the commit, and the commit listener hears of the units in order, so
 * nothing is published that is not stored. A unit asked for when none runs commits on its own.
 */
export class UnitBatches {
  private readonly logger = new Logger('database');
  private readonly queued: QueuedUnit[] = [];
  private isDraining = false;

  constructor(
    private readonly connection: ExclusiveConnection,
    private readonly statements: StatementCache,
    private readonly clock: MonotonicClock,
    private readonly listener: () => CommitListener,
    private readonly busyTimeoutMs: number,
  ) {}

  run<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return enqueue(this.queued, work, () => void this.drain(), this.isDraining);
  }

  /**
   * One batch per turn of the connection: reads asked for meanwhile get it between two batches. While
   * another process holds the write lock, the connection is let go and the lock tried again after a
   * growing pause (the event loop keeps serving reads, streams and /healthz); past busyTimeoutMs the
   * units waiting fail with StoreUnavailable (503).
   */
  private async drain(): Promise<void> {
    this.isDraining = true;
    let waitedMs = 0;
    let pauseMs = BUSY_BACKOFF_MS.first;
    try {
      while (this.queued.length > 0) {
        const isLocked = await this.connection.exclusive(() => this.runBatch());
        if (!isLocked) {
          waitedMs = 0;
          pauseMs = BUSY_BACKOFF_MS.first;
        } else if (waitedMs >= this.busyTimeoutMs) {
          const error = storeErrorOf(Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' }));
          for (const unit of this.queued.splice(0)) unit.reject(error);
          waitedMs = 0;
        } else {
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
          waitedMs += pauseMs;
          pauseMs = Math.min(pauseMs * 2, BUSY_BACKOFF_MS.max);
        }
      }
    } finally {
      this.isDraining = false;
    }
  }

  /** Runs the queued units in one transaction; true when the write lock was taken elsewhere (nothing ran). */
  private async runBatch(): Promise<boolean> {
    const committed: CommittedUnit[] = [];
    let current: QueuedUnit | undefined;
    try {
      this.statement('BEGIN IMMEDIATE');
    } catch (error) {
      if (isBusy(error)) return true;
      for (const unit of this.queued.splice(0, MAX_BATCH)) unit.reject(storeErrorOf(error));
      return false;
    }
    try {
      while (committed.length < MAX_BATCH && this.queued.length > 0) {
        current = this.queued.shift() as QueuedUnit;
        this.statement('SAVEPOINT unit');
        const tx = new SqliteTx(this.statements, this.clock);
        try {
          const result = await current.work(tx);
          // What the unit decided, read before the next unit can change it.
          committed.push({ unit: current, result, commit: tx.committed() });
          this.statement('RELEASE unit');
        } catch (error) {
          this.statement('ROLLBACK TO unit');
          this.statement('RELEASE unit');
          current.reject(storeErrorOf(error));
        }
        current = undefined;
      }
      this.statement('COMMIT');
    } catch (error) {
      // The transaction itself failed (busy, disk full): none of its units is stored.
      if (this.connection.db.inTransaction) this.statement('ROLLBACK');
      const failure = storeErrorOf(error);
      for (const unit of [...committed.map((entry) => entry.unit), ...(current ? [current] : [])]) {
        unit.reject(failure);
      }
      return false;
    }
    announce(committed, this.listener(), this.logger);
    return false;
  }

  private statement(sql: string): void {
    this.statements.get(sql).run();
  }
}
