import { Pool, PoolClient } from 'pg';
import { EventFilter, JobEvent, SerializedEvent } from '../../domain/events';
import { ACTIVE_STATUSES, JobStatus, TERMINAL_STATUSES } from '../../domain/stages';
import {
  ArtifactRow,
  EventRow,
  GateRow,
  JOB_COLUMNS,
  JobRow,
  SerializedRow,
  toArtifact,
  toEvent,
  toGate,
  toJob,
  toSerialized,
} from '../rows';
import { CommitListener, DueGate, JobAggregate, Store, StoreTx } from '../store.port';
import { ADVISORY_LOCKS, InstanceIdLock, checkout, openPostgres } from './pg-connection';
import { storeErrorOf } from './pg-errors';
import { PgBatches } from './pg-batches';

/**
 * The shared store of cluster mode: PostgreSQL through `pg` (docs/CLUSTER.md). The same tables and
 * behaviour as SqliteStore; writes go through PgBatches, reads use the pool's other connections.
 */
export class PgStore extends Store {
  private readonly batches: PgBatches;
  private listener: CommitListener = () => undefined;

  private constructor(
    private readonly pool: Pool,
    private readonly instanceLock: InstanceIdLock,
  ) {
    super();
    this.batches = new PgBatches(pool, () => this.listener);
  }

  /** Connects, migrates (once across instances) and takes this instance's id; StartupError if any fails. */
  static async open(url: string, instanceId: string, lockTimeoutMs: number): Promise<PgStore> {
    const pool = await openPostgres(url, lockTimeoutMs);
    try {
      return new PgStore(pool, await InstanceIdLock.take(url, instanceId));
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }

  unitOfWork<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.batches.run(work);
  }

  onCommit(listener: CommitListener): void {
    this.listener = listener;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  /** PostgreSQL reclaims space itself (autovacuum). */
  async compact(): Promise<void> {}

  /** The server answers; its write lock is taken in turns and never held between units of work. */
  checkWritable(): Promise<void> {
    return this.ping();
  }

  async job(jobId: string): Promise<JobAggregate | null> {
    const rows = await this.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, [jobId]);
    return (await this.withChildren(rows))[0] ?? null;
  }

  async jobExists(jobId: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM jobs WHERE id = $1', [jobId])).length > 0;
  }

  async listJobs({ status, limit }: { status?: JobStatus; limit: number }): Promise<JobAggregate[]> {
    const rows = status
      ? await this.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs WHERE status = $1 ORDER BY seq DESC LIMIT $2`, [
          status,
          limit,
        ])
      : await this.query<JobRow>(`SELECT ${JOB_COLUMNS} FROM jobs ORDER BY seq DESC LIMIT $1`, [limit]);
    return this.withChildren(rows);
  }

  jobIdsWithStatus(status: JobStatus): Promise<string[]> {
    return this.ids('SELECT id FROM jobs WHERE status = $1 ORDER BY seq ASC', [status]);
  }

  finishedJobIdsBefore(cutoff: string): Promise<string[]> {
    return this.ids('SELECT id FROM jobs WHERE status = ANY($1::text[]) AND updated_at < $2 ORDER BY seq ASC', [
      TERMINAL_STATUSES,
      cutoff,
    ]);
  }

  async countJobsByStatus(): Promise<Map<JobStatus, number>> {
    const rows = await this.query<{ status: JobStatus; count: number }>(
      'SELECT status, COUNT(*) AS count FROM jobs GROUP BY status',
    );
    return new Map(rows.map((row) => [row.status, row.count]));
  }

  overdueJobIds(now: string, owner: string): Promise<string[]> {
    return this.ids(
      `SELECT id FROM jobs WHERE deadline_at IS NOT NULL AND deadline_at <= $1 AND status = ANY($2::text[])
         AND NOT (status = 'running' AND COALESCE(lease_owner, $3) <> $3 AND COALESCE(lease_expires_at, '') >= $1)`,
      [now, ACTIVE_STATUSES, owner],
    );
  }

  dueGates(now: string): Promise<DueGate[]> {
    return this.query<DueGate>(
      `SELECT g.job_id AS "jobId", g.stage FROM gates g JOIN jobs j ON j.id = g.job_id
       WHERE j.status = 'needs_approval' AND j.stage = g.stage AND g.approved IS NULL
         AND g.auto_approve_at IS NOT NULL AND g.auto_approve_at <= $1`,
      [now],
    );
  }

  renewLeases(owner: string, jobIds: readonly string[], until: string): Promise<string[]> {
    return this.ids(
      'UPDATE jobs SET lease_expires_at = $1 WHERE lease_owner = $2 AND id = ANY($3::text[]) RETURNING id',
      [until, owner, jobIds],
    );
  }

  async releaseLease(owner: string, jobId: string): Promise<void> {
    await this.query('UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2', [
      jobId,
      owner,
    ]);
  }

  expiredLeases(now: string): Promise<string[]> {
    return this.ids(
      `SELECT id FROM jobs WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at < $1)`,
      [now],
    );
  }

  eventsAfter(filter: EventFilter, afterId: number, limit: number): Promise<JobEvent[]> {
    const { where, params } = whereClause(filter, [afterId, limit]);
    return this.events(`SELECT * FROM events WHERE id > $1 ${where} ORDER BY id ASC LIMIT $2`, params);
  }

  async newestEvents(filter: EventFilter, limit: number): Promise<JobEvent[]> {
    const { where, params } = whereClause(filter, [limit]);
    return (await this.events(`SELECT * FROM events WHERE true ${where} ORDER BY id DESC LIMIT $1`, params)).reverse();
  }

  eventJsonsAfter(filter: EventFilter, afterId: number, limit: number): Promise<SerializedEvent[]> {
    const { where, params } = whereClause(filter, [afterId, limit]);
    return this.serialized(`SELECT id, ts, json FROM events WHERE id > $1 ${where} ORDER BY id ASC LIMIT $2`, params);
  }

  async newestEventJsons(filter: EventFilter, limit: number): Promise<SerializedEvent[]> {
    const { where, params } = whereClause(filter, [limit]);
    return (
      await this.serialized(`SELECT id, ts, json FROM events WHERE true ${where} ORDER BY id DESC LIMIT $1`, params)
    ).reverse();
  }

  /** Timestamps never go back as ids grow (event_head), so the (ts, id) index finds the cursor's event. */
  async lastIdAtOrBefore(ts: string): Promise<number> {
    const rows = await this.query<{ id: number }>(
      'SELECT id FROM events WHERE ts <= $1 ORDER BY ts DESC, id DESC LIMIT 1',
      [ts],
    );
    return rows[0]?.id ?? 0;
  }

  jobIdsWithEvents(): Promise<string[]> {
    return this.ids('SELECT id FROM jobs WHERE EXISTS (SELECT 1 FROM events WHERE job_id = jobs.id)');
  }

  async oldestEventId(jobId?: string): Promise<number | null> {
    const rows = jobId
      ? await this.query<{ id: number | null }>('SELECT MIN(id) AS id FROM events WHERE job_id = $1', [jobId])
      : await this.query<{ id: number | null }>('SELECT MIN(id) AS id FROM events');
    return rows[0]?.id ?? null;
  }

  async prunedThrough(jobId?: string): Promise<number> {
    const rows = jobId
      ? await this.query<{ id: number }>('SELECT COALESCE(events_pruned_through, 0) AS id FROM jobs WHERE id = $1', [
          jobId,
        ])
      : await this.query<{ id: number }>('SELECT COALESCE(MAX(events_pruned_through), 0) AS id FROM jobs');
    return rows[0]?.id ?? 0;
  }

  /** One sweep cluster-wide at a time: an instance that finds another sweeping skips its turn. */
  async pruneEvents(cutoff: string, cap: number): Promise<{ removedOld: number; removedOverCap: number }> {
    return this.transaction(async (client) => {
      const { rows: locked } = await client.query<{ locked: boolean }>(
        'SELECT pg_try_advisory_xact_lock($1) AS locked',
        [ADVISORY_LOCKS.retention],
      );
      if (!locked[0]?.locked) return { removedOld: 0, removedOverCap: 0 };
      const markPruned = (through: number, jobId: string) =>
        client.query(
          'UPDATE jobs SET events_pruned_through = GREATEST(COALESCE(events_pruned_through, 0), $1) WHERE id = $2',
          [through, jobId],
        );
      let removedOld = 0;
      const { rows: old } = await client.query<{ jobId: string; through: number }>(
        `SELECT e.job_id AS "jobId", MAX(e.id) AS through FROM events e JOIN jobs j ON j.id = e.job_id
         WHERE j.status = ANY($1::text[]) AND e.ts < $2 GROUP BY e.job_id`,
        [TERMINAL_STATUSES, cutoff],
      );
      for (const { jobId, through } of old) {
        removedOld += (await client.query('DELETE FROM events WHERE job_id = $1 AND ts < $2', [jobId, cutoff]))
          .rowCount as number;
        await markPruned(through, jobId);
      }
      // The `job_deleted` events of jobs that are gone age out like any finished job's.
      removedOld += (
        await client.query(
          'DELETE FROM events WHERE ts < $1 AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = events.job_id)',
          [cutoff],
        )
      ).rowCount as number;
      let removedOverCap = 0;
      const { rows: crowded } = await client.query<{ jobId: string; boundary: number }>(
        `SELECT job_id AS "jobId", (SELECT id FROM events b WHERE b.job_id = e.job_id ORDER BY id DESC
           LIMIT 1 OFFSET $1) AS boundary
         FROM events e GROUP BY job_id HAVING COUNT(*) > $1`,
        [cap],
      );
      for (const { jobId, boundary } of crowded) {
        removedOverCap += (await client.query('DELETE FROM events WHERE job_id = $1 AND id <= $2', [jobId, boundary]))
          .rowCount as number;
        await markPruned(boundary, jobId);
      }
      return { removedOld, removedOverCap };
    });
  }

  async close(): Promise<void> {
    await this.instanceLock.close();
    await this.pool.end();
  }

  private async query<R extends object = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<R[]> {
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } catch (error) {
      throw storeErrorOf(error);
    }
  }

  /** A write that reports no event (retention): its own transaction, without the event_head lock. */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await checkout(this.pool);
    } catch (error) {
      throw storeErrorOf(error);
    }
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw storeErrorOf(error);
    } finally {
      client.release();
    }
  }

  private async ids(sql: string, params: unknown[] = []): Promise<string[]> {
    return (await this.query<{ id: string }>(sql, params)).map((row) => row.id);
  }

  /** Rows stored before the json column are read whole first (one query for all of them). */
  private async serialized(sql: string, params: unknown[]): Promise<SerializedEvent[]> {
    const rows = await this.query<SerializedRow>(sql, params);
    const legacy = rows.filter((row) => row.json === null).map((row) => row.id);
    const full = new Map(
      legacy.length === 0
        ? []
        : (await this.query<EventRow>('SELECT * FROM events WHERE id = ANY($1::bigint[])', [legacy])).map((row) => [
            row.id,
            row,
          ]),
    );
    return rows.map((row) => toSerialized(row, (id) => full.get(id) as EventRow));
  }

  private async events(sql: string, params: unknown[]): Promise<JobEvent[]> {
    return (await this.query<EventRow>(sql, params)).map(toEvent);
  }

  /** Jobs with their gates (stage order) and artifacts (creation order), in two queries for all of them. */
  private async withChildren(rows: JobRow[]): Promise<JobAggregate[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const [gates, artifacts] = await Promise.all([
      this.query<GateRow>('SELECT * FROM gates WHERE job_id = ANY($1::text[]) ORDER BY position', [ids]),
      this.query<ArtifactRow>('SELECT * FROM artifacts WHERE job_id = ANY($1::text[]) ORDER BY id', [ids]),
    ]);
    return rows.map((row) => ({
      ...toJob(row),
      gates: gates.filter((gate) => gate.job_id === row.id).map(toGate),
      artifacts: artifacts.filter((artifact) => artifact.job_id === row.id).map(toArtifact),
    }));
  }
}

/** The AND clauses of an event filter, numbered after the parameters already in `params`. */
function whereClause(filter: EventFilter, leading: unknown[]): { where: string; params: unknown[] } {
  const params = [...leading];
  const clauses: string[] = [];
  const add = (clause: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    clauses.push(clause(`$${params.length}`));
  };
  if (filter.jobId !== undefined) add((p) => `AND job_id = ${p}`, filter.jobId);
  if (filter.types && filter.types.length > 0) add((p) => `AND type = ANY(${p}::text[])`, filter.types);
  if (filter.stage !== undefined) add((p) => `AND stage = ${p}`, filter.stage);
  return { where: clauses.join(' '), params };
}
