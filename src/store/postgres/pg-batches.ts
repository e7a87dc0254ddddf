import { Logger } from '@nestjs/common';
import { Pool, PoolClient } from 'pg';
import { CommitListener, StoreTx } from '../store.port';
import { CommittedUnit, MAX_BATCH, QueuedUnit, announce, enqueue } from '../unit-queue';
import { checkout } from './pg-connection';
import { isConnectionError, storeErrorOf } from './pg-errors';
import { EventHead, PgTx } from './pg-tx';

/**
 * Group commit on PostgreSQL, as UnitBatches does on SQLite: units asked for while one batch runs
 * share the next transaction, one savepoint each. Every transaction first locks the one event_head
 * row (`FOR UPDATE`): that is the cluster's write lock. Writers of all instances take turns, so ids
 * are handed out and committed in the same order, and a reader that sees id N has every id below N
 * visible too (docs/CLUSTER.md, "Ids and cursors"). A lock held elsewhere longer than lock_timeout,
 * or a server that is gone, fails the batch's units with StoreUnavailable (503).
 */
export class PgBatches {
  private readonly logger = new Logger('database');
  private readonly queued: QueuedUnit[] = [];
  private isDraining = false;

  constructor(
    private readonly pool: Pool,
    private readonly listener: () => CommitListener,
  ) {}

  run<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return enqueue(this.queued, work, () => void this.drain(), this.isDraining);
  }

  private async drain(): Promise<void> {
    this.isDraining = true;
    try {
      while (this.queued.length > 0) await this.runBatch();
    } finally {
      this.isDraining = false;
    }
  }

  private async runBatch(): Promise<void> {
    let client: PoolClient;
    try {
      client = await checkout(this.pool);
    } catch (error) {
      for (const unit of this.queued.splice(0, MAX_BATCH)) unit.reject(storeErrorOf(error));
      return;
    }
    const committed: CommittedUnit[] = [];
    let current: QueuedUnit | undefined;
    let isBroken = false;
    try {
      // Statements that need no answer in between share one round trip (the lock is held meanwhile).
      const opened = (await client.query('BEGIN; SELECT last_id, last_ts FROM event_head FOR UPDATE')) as unknown as {
        rows: { last_id: number; last_ts: string }[];
      }[];
      const { last_id: lastId, last_ts: lastTs } = opened[1].rows[0];
      const head: EventHead = { lastId, lastTs };
      while (committed.length < MAX_BATCH && this.queued.length > 0) {
        current = this.queued.shift() as QueuedUnit;
        const before = { ...head };
        // Never released: savepoints of one name nest, and ROLLBACK TO goes back to the newest.
        await client.query('SAVEPOINT unit');
        const tx = new PgTx(client, head);
        try {
          const result = await current.work(tx);
          committed.push({ unit: current, result, commit: await tx.committed() });
        } catch (error) {
          if (isConnectionError(error)) throw error;
          await client.query('ROLLBACK TO SAVEPOINT unit');
          Object.assign(head, before);
          current.reject(storeErrorOf(error));
        }
        current = undefined;
      }
      await client.query(
        head.lastId === lastId
          ? 'COMMIT'
          : `UPDATE event_head SET last_id = ${head.lastId}, last_ts = '${head.lastTs.replace(/'/g, "''")}'; COMMIT`,
      );
    } catch (error) {
      // The transaction itself failed (server gone, lock timeout): none of its units is stored.
      isBroken = isConnectionError(error);
      if (!isBroken) await client.query('ROLLBACK').catch(() => (isBroken = true));
      const failure = storeErrorOf(error);
      for (const unit of [...committed.map((entry) => entry.unit), ...(current ? [current] : [])]) {
        unit.reject(failure);
      }
      return;
    } finally {
      client.release(isBroken);
    }
    announce(committed, this.listener(), this.logger);
  }
}
