import { EventFilter, JobEvent, SerializedEvent } from '../../domain/events';
import { ACTIVE_STATUSES, JobStatus, TERMINAL_STATUSES } from '../../domain/stages';
import { CommitListener, DueGate, JobAggregate, Store, StoreTx } from '../store.port';
import { CheckpointThread } from './checkpoint-thread';
import { ExclusiveConnection, openSqlite } from './sqlite-connection';
import { storeErrorOf } from './sqlite-errors';
import { IN_LIST, lastIdAtOrBefore, pruneEvents, whereClause, withChildren } from './sqlite-queries';
import { EventRow, JOB_COLUMNS, JobRow, SerializedRow, toEvent, toSerialized } from '../rows';
import { MonotonicClock } from './sqlite-tx';
import { StatementCache } from './statement-cache';
import { UnitBatches } from './unit-batches';

/** The embedded store: one SQLite file through better-sqlite3 (docs/ARCHITECTURE.md, "Store"). */
export class SqliteStore extends Store {
  private readonly connection: ExclusiveConnection;
  private readonly statements: StatementCache;
  private readonly batches: UnitBatches;
  private readonly checkpoints: CheckpointThread | null;
  private listener: CommitListener = () => undefined;

  /** `busyTimeoutMs`: how long a write waits for another process's lock before failing with StoreUnavailable. */
  constructor(path: string, busyTimeoutMs = 5000) {
    super();
    this.connection = new ExclusiveConnection(openSqlite(path));
    this.statements = new StatementCache(this.connection.db);
    this.checkpoints = path === ':memory:' ? null : new CheckpointThread(this.connection.db);
    const last = this.statements.get('SELECT ts FROM events ORDER BY id DESC LIMIT 1').get() as
      { ts: string } | undefined;
    this.batches = new UnitBatches(
      this.connection,
      this.statements,
      new MonotonicClock(Date.parse(last?.ts ?? '') || 0),
      () => this.listener,
      busyTimeoutMs,
    );
  }

  unitOfWork<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.batches.run(work);
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  /** Checkpoints the WAL into the database and truncates it to nothing, off the event loop (waits its turn with the writes). */
  compact(): Promise<void> {
    return this.connection.exclusive(async () => {
      try {
        if (this.checkpoints) await this.checkpoints.truncate();
        else this.connection.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (error) {
        throw storeErrorOf(error);
      }
    });
  }

  checkWritable(): Promise<void> {
    return this.connection.exclusive(async () => {
      try {
        this.statements.get('BEGIN IMMEDIATE').run();
        this.statements.get('ROLLBACK').run();
      } catch (error) {
        throw storeErrorOf(error);
      }
    });
  }

  ping(): Promise<void> {
    return this.read(() => void this.statements.get('SELECT 1').get());
  }

  job(jobId: string): Promise<JobAggregate | null> {
    return this.read(() => {
      const row = this.statements.get(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = ?`).get(jobId) as JobRow | undefined;
      return row ? (withChildren(this.statements, [row])[0] ?? null) : null;
    });
  }

  jobExists(jobId: string): Promise<boolean> {
    return this.read(() => this.statements.get('SELECT 1 FROM jobs WHERE id = ?').get(jobId) !== undefined);
  }

  listJobs({ status, limit }: { status?: JobStatus; limit: number }): Promise<JobAggregate[]> {
    return this.read(() => {
      const rows = (
        status
          ? this.statements
              .get(`SELECT ${JOB_COLUMNS} FROM jobs WHERE status = ? ORDER BY seq DESC LIMIT ?`)
              .all(status, limit)
          : this.statements.get(`SELECT ${JOB_COLUMNS} FROM jobs ORDER BY seq DESC LIMIT ?`).all(limit)
      ) as JobRow[];
      return withChildren(this.statements, rows);
    });
  }

  jobIdsWithStatus(status: JobStatus): Promise<string[]> {
    return this.ids('SELECT id FROM jobs WHERE status = ? ORDER BY seq ASC', status);
  }

  finishedJobIdsBefore(cutoff: string): Promise<string[]> {
    return this.ids(
      `SELECT id FROM jobs WHERE status IN (${IN_LIST}) AND updated_at < ? ORDER BY seq ASC`,
      JSON.stringify(TERMINAL_STATUSES),
      cutoff,
    );
  }

  countJobsByStatus(): Promise<Map<JobStatus, number>> {
    return this.read(() => {
      const rows = this.statements.get('SELECT status, COUNT(*) AS count FROM jobs GROUP BY status').all() as {
        status: JobStatus;
        count: number;
      }[];
      return new Map(rows.map((row) => [row.status, row.count]));
    });
  }

  overdueJobIds(now: string, owner: string): Promise<string[]> {
    return this.ids(
      `SELECT id FROM jobs WHERE deadline_at IS NOT NULL AND deadline_at <= ? AND status IN (${IN_LIST})
         AND NOT (status = 'running' AND COALESCE(lease_owner, ?) <> ? AND COALESCE(lease_expires_at, '') >= ?)`,
      now,
      JSON.stringify(ACTIVE_STATUSES),
      owner,
      owner,
      now,
    );
  }

  dueGates(now: string): Promise<DueGate[]> {
    return this.read(
      () =>
        this.statements
          .get(
            `SELECT g.job_id AS jobId, g.stage FROM gates g JOIN jobs j ON j.id = g.job_id
             WHERE j.status = 'needs_approval' AND j.stage = g.stage AND g.approved IS NULL
               AND g.auto_approve_at IS NOT NULL AND g.auto_approve_at <= ?`,
          )
          .all(now) as DueGate[],
    );
  }

  renewLeases(owner: string, jobIds: readonly string[], until: string): Promise<string[]> {
    return this.write(() =>
      (
        this.statements
          .get(`UPDATE jobs SET lease_expires_at = ? WHERE lease_owner = ? AND id IN (${IN_LIST}) RETURNING id`)
          .all(until, owner, JSON.stringify(jobIds)) as { id: string }[]
      ).map((row) => row.id),
    );
  }

  async releaseLease(owner: string, jobId: string): Promise<void> {
    await this.write(() =>
      this.statements
        .get('UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?')
        .run(jobId, owner),
    );
  }

  expiredLeases(now: string): Promise<string[]> {
    return this.ids(
      `SELECT id FROM jobs WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < ?)`,
      now,
    );
  }

  eventsAfter(filter: EventFilter, afterId: number, limit: number): Promise<JobEvent[]> {
    const { where, params } = whereClause(filter);
    return this.events(`SELECT * FROM events WHERE id > ? ${where} ORDER BY id ASC LIMIT ?`, [
      afterId,
      ...params,
      limit,
    ]);
  }

  async newestEvents(filter: EventFilter, limit: number): Promise<JobEvent[]> {
    const { where, params } = whereClause(filter);
    const events = await this.events(`SELECT * FROM events WHERE 1 = 1 ${where} ORDER BY id DESC LIMIT ?`, [
      ...params,
      limit,
    ]);
    return events.reverse();
  }

  eventJsonsAfter(filter: EventFilter, afterId: number, limit: number): Promise<SerializedEvent[]> {
    const { where, params } = whereClause(filter);
    return this.serialized(`SELECT id, ts, json FROM events WHERE id > ? ${where} ORDER BY id ASC LIMIT ?`, [
      afterId,
      ...params,
      limit,
    ]);
  }

  async newestEventJsons(filter: EventFilter, limit: number): Promise<SerializedEvent[]> {
    const { where, params } = whereClause(filter);
    const events = await this.serialized(
      `SELECT id, ts, json FROM events WHERE 1 = 1 ${where} ORDER BY id DESC LIMIT ?`,
      [...params, limit],
    );
    return events.reverse();
  }

  /** The last event at or before `ts`, by a binary search over ids (see lastIdAtOrBefore in sqlite-queries.ts). */
  lastIdAtOrBefore(ts: string): Promise<number> {
    return this.read(() => lastIdAtOrBefore(this.statements, ts));
  }

  jobIdsWithEvents(): Promise<string[]> {
    return this.read(() =>
      (
        this.statements
          .get('SELECT id AS job_id FROM jobs WHERE EXISTS (SELECT 1 FROM events WHERE job_id = jobs.id)')
          .all() as {
          job_id: string;
        }[]
      ).map((r) => r.job_id),
    );
  }

  oldestEventId(jobId?: string): Promise<number | null> {
    return this.read(() => {
      const row = (
        jobId
          ? this.statements.get('SELECT MIN(id) AS id FROM events WHERE job_id = ?').get(jobId)
          : this.statements.get('SELECT MIN(id) AS id FROM events').get()
      ) as { id: number | null };
      return row.id;
    });
  }

  prunedThrough(jobId?: string): Promise<number> {
    return this.read(() => {
      const row = (
        jobId
          ? this.statements.get('SELECT COALESCE(events_pruned_through, 0) AS id FROM jobs WHERE id = ?').get(jobId)
          : this.statements.get('SELECT COALESCE(MAX(events_pruned_through), 0) AS id FROM jobs').get()
      ) as { id: number } | undefined;
      return row?.id ?? 0;
    });
  }

  pruneEvents(cutoff: string, cap: number): Promise<{ removedOld: number; removedOverCap: number }> {
    return this.write(() => pruneEvents(this.statements, cutoff, cap));
  }

  async close(): Promise<void> {
    await this.checkpoints?.close();
    await this.connection.exclusive(async () => {
      if (this.connection.db.open) this.connection.db.close();
    });
  }

  private read<T>(query: () => T): Promise<T> {
    return this.connection.read(query);
  }

  /** A write that reports no event (leases, retention): its own transaction, in turn with the units of work. */
  private write<T>(change: () => T): Promise<T> {
    return this.connection.exclusive(async () => {
      try {
        return this.connection.db.transaction(change).immediate();
      } catch (error) {
        throw storeErrorOf(error);
      }
    });
  }

  private ids(sql: string, ...params: unknown[]): Promise<string[]> {
    return this.read(() => (this.statements.get(sql).all(...params) as { id: string }[]).map((row) => row.id));
  }

  private serialized(sql: string, params: unknown[]): Promise<SerializedEvent[]> {
    return this.read(() => {
      const full = this.statements.get('SELECT * FROM events WHERE id = ?');
      return (this.statements.get(sql).all(...params) as SerializedRow[]).map((row) =>
        toSerialized(row, (id) => full.get(id) as EventRow),
      );
    });
  }

  private events(sql: string, params: unknown[]): Promise<JobEvent[]> {
    return this.read(() => (this.statements.get(sql).all(...params) as EventRow[]).map(toEvent));
  }
}
