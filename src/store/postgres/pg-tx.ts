import { PoolClient } from 'pg';
import { EventInput, JobEvent, PublishedEvent, jsonAfterId, makeEvent, withId } from '../../domain/events';
import { STAGES, Stage } from '../../domain/stages';
import { GateRow, toGate } from '../rows';
import {
  ArtifactRecord,
  Commit,
  GateDecision,
  GateRecord,
  JobChanges,
  JobState,
  NewGate,
  NewJob,
  StoreTx,
} from '../store.port';

const STATE_COLUMNS = 'id, slug, status, stage, started_at, deadline_at, lease_owner, lease_expires_at';

/**
 * The last event id and timestamp handed out, read from event_head when a batch takes its lock and
 * written back before it commits. Ids follow on with no gap, and timestamps never go back as ids
 * grow, whichever instance commits.
 */
export interface EventHead {
  lastId: number;
  lastTs: string;
}

/** One unit of work's view of its batch's connection (the PostgreSQL twin of SqliteTx). */
export class PgTx implements StoreTx {
  private readonly events: PublishedEvent[] = [];
  private readonly decided = new Map<string, { jobId: string; stage: Stage }>();
  private readonly startedAt = process.hrtime.bigint();

  constructor(
    private readonly client: PoolClient,
    private readonly head: EventHead,
  ) {}

  async job(jobId: string): Promise<JobState | null> {
    const { rows } = await this.client.query<JobState>(`SELECT ${STATE_COLUMNS} FROM jobs WHERE id = $1`, [jobId]);
    return rows[0] ?? null;
  }

  gate(jobId: string, stage: Stage): Promise<GateRecord | null> {
    return this.gateNow(jobId, stage);
  }

  async insertJob(job: NewJob, gates: readonly NewGate[]): Promise<void> {
    await this.client.query(
      `INSERT INTO jobs (id, seq, slug, intent, status, stage, cfg, operator, created_at, updated_at)
       VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), $2, $3, 'queued', 'outline', $4, $5, $6, $6)`,
      [job.id, job.slug, job.intent, JSON.stringify(job.cfg), job.operator, job.created_at],
    );
    if (gates.length === 0) return;
    await this.client.query(
      `INSERT INTO gates (job_id, stage, position, required, approved, auto_approved, timeout_seconds)
       SELECT $1, stage, position, required, NULL, false, timeout_seconds
       FROM unnest($2::text[], $3::int[], $4::boolean[], $5::int[]) AS g(stage, position, required, timeout_seconds)`,
      [
        job.id,
        gates.map((gate) => gate.stage),
        gates.map((gate) => STAGES.indexOf(gate.stage)),
        gates.map((gate) => gate.required),
        gates.map((gate) => gate.timeout_seconds),
      ],
    );
  }

  async deleteJob(jobId: string): Promise<void> {
    for (const table of ['events', 'gates', 'artifacts']) {
      await this.client.query(`DELETE FROM ${table} WHERE job_id = $1`, [jobId]);
    }
    await this.client.query('DELETE FROM jobs WHERE id = $1', [jobId]);
  }

  async updateJob(jobId: string, changes: JobChanges): Promise<void> {
    const columns = Object.keys(changes) as (keyof JobChanges)[];
    const sets = columns.map((column, index) => `${column} = $${index + 1}`).join(', ');
    await this.client.query(`UPDATE jobs SET ${sets} WHERE id = $${columns.length + 1}`, [
      ...columns.map((column) => changes[column]),
      jobId,
    ]);
  }

  async decideGate(jobId: string, stage: Stage, decision: GateDecision): Promise<void> {
    await this.client.query(
      `UPDATE gates SET approved = $1, by = $2, at = $3, notes = $4, patch = $5, auto_approved = $6,
         auto_approve_at = NULL
       WHERE job_id = $7 AND stage = $8`,
      [
        decision.approved,
        decision.by,
        decision.at,
        decision.notes,
        decision.patch ? JSON.stringify(decision.patch) : null,
        decision.auto_approved,
        jobId,
        stage,
      ],
    );
    this.decided.set(`${jobId}/${stage}`, { jobId, stage });
  }

  async setGateDeadline(jobId: string, stage: Stage, deadline: string | null): Promise<void> {
    await this.client.query('UPDATE gates SET auto_approve_at = $1 WHERE job_id = $2 AND stage = $3', [
      deadline,
      jobId,
      stage,
    ]);
  }

  async upsertArtifact(jobId: string, artifact: ArtifactRecord): Promise<void> {
    await this.client.query(
      `INSERT INTO artifacts (job_id, stage, kind, path, meta, created_at, size_bytes, checksum)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (job_id, path) DO UPDATE SET stage = excluded.stage, kind = excluded.kind, meta = excluded.meta,
         created_at = excluded.created_at, size_bytes = excluded.size_bytes, checksum = excluded.checksum`,
      [
        jobId,
        artifact.stage,
        artifact.kind,
        artifact.path,
        JSON.stringify(artifact.meta),
        artifact.created_at,
        artifact.size_bytes,
        artifact.checksum,
      ],
    );
  }

  async appendEvent(input: EventInput): Promise<JobEvent> {
    const now = new Date().toISOString();
    const ts = now > this.head.lastTs ? now : this.head.lastTs;
    const id = this.head.lastId + 1;
    const payload = input.payload ?? {};
    const stage = input.stage ?? null;
    const status = input.status ?? null;
    const event = makeEvent(id, input.jobId, ts, input.type, stage, status, input.message, payload);
    const afterId = jsonAfterId(event);
    await this.client.query(
      `INSERT INTO events (id, job_id, ts, type, stage, status, message, payload, json)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [id, input.jobId, ts, input.type, stage, status, input.message, JSON.stringify(payload), afterId],
    );
    this.head.lastId = id;
    this.head.lastTs = ts;
    this.events.push({ event, json: withId(id, afterId) });
    return event;
  }

  async claimNextQueued(owner: string, until: string, now: string, skip: readonly string[]): Promise<JobState | null> {
    // A queued job runs nowhere: any lease it still carries is a leftover, so the oldest one is free.
    const { rows } = await this.client.query<JobState>(
      `UPDATE jobs SET lease_owner = $1, lease_expires_at = $2, updated_at = $3
       WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND NOT (id = ANY($4::text[])) ORDER BY seq LIMIT 1)
       RETURNING ${STATE_COLUMNS}`,
      [owner, until, now, skip],
    );
    return rows[0] ?? null;
  }

  /** What this unit of work committed, read before the next unit of its batch can change it. */
  async committed(): Promise<Commit> {
    const decidedGates: Commit['decidedGates'] = [];
    for (const { jobId, stage } of this.decided.values()) {
      decidedGates.push({ jobId, gate: (await this.gateNow(jobId, stage)) as GateRecord });
    }
    return { startedAt: this.startedAt, events: this.events, decidedGates };
  }

  private async gateNow(jobId: string, stage: Stage): Promise<GateRecord | null> {
    const { rows } = await this.client.query<GateRow>('SELECT * FROM gates WHERE job_id = $1 AND stage = $2', [
      jobId,
      stage,
    ]);
    return rows[0] ? toGate(rows[0]) : null;
  }
}
