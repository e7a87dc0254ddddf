import { EventFilter, JobEvent } from '../../domain/events';
import { ACTIVE_STATUSES, JobStatus, TERMINAL_STATUSES } from '../../domain/stages';
import { CommitListener, DueGate, JobAggregate, Store, StoreTx } from '../store.port';
import { ExclusiveConnection, openSqlite } from './sqlite-connection';
import { ArtifactRow, EventRow, GateRow, JOB_COLUMNS, JobRow, toArtifact, toEvent, toGate, toJob } from './sqlite-rows';
import { MonotonicClock } from './sqlite-tx';
import { StatementCache } from './statement-cache';
import { storeErrorOf } from './sqlite-errors';
import { UnitBatches } from './unit-batches';

const IN_LIST = 'SELECT value FROM json_each(?)';

/** The embedded store: one SQLite file through better-sqlite3 (docs/ARCHITECTURE.md, "Store"). */
export class SqliteStore extends Store {
  private readonly connection: ExclusiveConnection;
  private readonly statements: StatementCache;
  private readonly batches: UnitBatches;
  private listener: CommitListener = () => undefined;

  /** `busyTimeoutMs`: how long a write waits for another process's lock before failing with StoreUnavailable. */
  constructor(path: string, busyTimeoutMs = 5000) {
    super();
    this.connection = new ExclusiveConnection(openSqlite(path));
    this.statements = new StatementCache(this.connection.db);
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

  /** Checkpoints the WAL into the database and truncates it to nothing (waits its turn with the writes). */
  compact(): Promise<void> {
    return this.connection.exclusive(async () => {
      try {
        this.connection.db.pragma('wal_checkpoint(TRUNCATE)');
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
      return row ? (this.withChildren([row])[0] ?? null) : null;
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
      return this.withChildren(rows);
    });
  }

  jobIdsWithStatus(status: JobStatus): Promise<string[]> {
    return this.ids('SELECT id FROM jobs WHERE status = ? ORDER BY seq ASC', status);
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

  overdueJobIds(now: string): Promise<string[]> {
    return this.ids(
      `SELECT id FROM jobs WHERE deadline_at IS NOT NULL AND deadline_at <= ? AND status IN (${IN_LIST})`,
      now,
      JSON.stringify(ACTIVE_STATUSES),
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

  async renewLeases(owner: string, jobIds: readonly string[], until: string): Promise<void> {
    await this.write(() =>
      this.statements
        .get(`UPDATE jobs SET lease_expires_at = ? WHERE lease_owner = ? AND id IN (${IN_LIST})`)
        .run(until, owner, JSON.stringify(jobIds)),
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
      `SELECT id FROM jobs WHERE status = 'running' AND lease_expires_at IS NOT NULL AND lease_expires_at < ?`,
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

  /**
   * `ts` never decreases as ids grow (MonotonicClock), so a binary search over the primary key finds
   * the id in ~17 index seeks for 100,000 events, where a `WHERE ts <= ?` would scan.
   */
  lastIdAtOrBefore(ts: string): Promise<number> {
    return this.read(() => {
      const firstAtOrAfter = this.statements.get('SELECT id, ts FROM events WHERE id >= ? ORDER BY id LIMIT 1');
      // Two one-row seeks: MIN and MAX in one SELECT would make SQLite scan the table.
      const first = this.statements.get('SELECT id FROM events ORDER BY id ASC LIMIT 1').get() as
        { id: number } | undefined;
      const last = this.statements.get('SELECT id FROM events ORDER BY id DESC LIMIT 1').get() as
        { id: number } | undefined;
      if (!first || !last) return 0;
      let found = 0;
      let low = first.id;
      let high = last.id;
      while (low <= high) {
        const middle = Math.floor((low + high) / 2);
        const row = firstAtOrAfter.get(middle) as { id: number; ts: string } | undefined;
        if (!row || row.id > high) high = middle - 1;
        else if (row.ts <= ts) {
          found = row.id;
          low = row.id + 1;
        } else high = middle - 1;
      }
      return found;
    });
  }

  jobIdsWithEvents(): Promise<string[]> {
    return this.read(() =>
      (this.statements.get('SELECT DISTINCT job_id FROM events').all() as { job_id: string }[]).map((r) => r.job_id),
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
    return this.write(() => {
      const markPruned = this.statements.get(
        'UPDATE jobs SET events_pruned_through = MAX(COALESCE(events_pruned_through, 0), ?) WHERE id = ?',
      );
      let removedOld = 0;
      const old = this.statements
        .get(
          `SELECT e.job_id AS jobId, MAX(e.id) AS through FROM events e JOIN jobs j ON j.id = e.job_id
           WHERE j.status IN (${IN_LIST}) AND e.ts < ? GROUP BY e.job_id`,
        )
        .all(JSON.stringify(TERMINAL_STATUSES), cutoff) as { jobId: string; through: number }[];
      for (const { jobId, through } of old) {
        removedOld += this.statements.get('DELETE FROM events WHERE job_id = ? AND ts < ?').run(jobId, cutoff).changes;
        markPruned.run(through, jobId);
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
        markPruned.run(boundary.id, jobId);
      }
      return { removedOld, removedOverCap };
    });
  }

  async close(): Promise<void> {
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

  private events(sql: string, params: unknown[]): Promise<JobEvent[]> {
    return this.read(() => (this.statements.get(sql).all(...params) as EventRow[]).map(toEvent));
  }

  private withChildren(rows: JobRow[]): JobAggregate[] {
    if (rows.length === 0) return [];
    const ids = JSON.stringify(rows.map((row) => row.id));
    const gates = this.statements
      .get(`SELECT * FROM gates WHERE job_id IN (${IN_LIST}) ORDER BY position`)
      .all(ids) as GateRow[];
    const artifacts = this.statements
      .get(`SELECT * FROM artifacts WHERE job_id IN (${IN_LIST}) ORDER BY id`)
      .all(ids) as ArtifactRow[];
    return rows.map((row) => ({
      ...toJob(row),
      gates: gates.filter((gate) => gate.job_id === row.id).map(toGate),
      artifacts: artifacts.filter((artifact) => artifact.job_id === row.id).map(toArtifact),
    }));
  }
}

function whereClause(filter: EventFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.jobId !== undefined) {
    clauses.push('AND job_id = ?');
    params.push(filter.jobId);
  }
  if (filter.types && filter.types.length > 0) {
    clauses.push(`AND type IN (${filter.types.map(() => '?').join(', ')})`);
    params.push(...filter.types);
  }
  if (filter.stage !== undefined) {
    clauses.push('AND stage = ?');
    params.push(filter.stage);
  }
  return { where: clauses.join(' '), params };
}
