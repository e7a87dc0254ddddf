import { EventInput, JobEvent, PublishedEvent, jsonAfterId, makeEvent, withId } from '../../domain/events';
import { STAGES, Stage } from '../../domain/stages';
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
import { GateRow, toGate } from '../rows';
import { StatementCache } from './statement-cache';

const STATE_COLUMNS = 'id, slug, status, stage, started_at, deadline_at, lease_owner, lease_expires_at';

/** Event timestamps that never go back as ids grow, so a time cursor can be found by a binary search over ids. */
export class MonotonicClock {
  constructor(private lastMs: number) {}

  next(): string {
    this.lastMs = Math.max(Date.now(), this.lastMs);
    return new Date(this.lastMs).toISOString();
  }
}

/** One unit of work's view of the connection: synchronous statements behind the port's async methods. */
export class SqliteTx implements StoreTx {
  private readonly events: PublishedEvent[] = [];
  private readonly decided = new Map<string, { jobId: string; stage: Stage }>();
  private readonly startedAt = process.hrtime.bigint();

  constructor(
    private readonly statements: StatementCache,
    private readonly clock: MonotonicClock,
  ) {}

  async job(jobId: string): Promise<JobState | null> {
    return (
      (this.statements.get(`SELECT ${STATE_COLUMNS} FROM jobs WHERE id = ?`).get(jobId) as JobState | undefined) ?? null
    );
  }

  async gate(jobId: string, stage: Stage): Promise<GateRecord | null> {
    return this.gateNow(jobId, stage);
  }

  async insertJob(job: NewJob, gates: readonly NewGate[]): Promise<void> {
    this.statements
      .get(
        `INSERT INTO jobs (id, seq, slug, intent, status, stage, cfg, operator, created_at, updated_at)
         VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?, ?, 'queued', 'outline', ?, ?, ?, ?)`,
      )
      .run(job.id, job.slug, job.intent, JSON.stringify(job.cfg), job.operator, job.created_at, job.created_at);
    const insertGate = this.statements.get(
      `INSERT INTO gates (job_id, stage, position, required, approved, auto_approved, timeout_seconds)
       VALUES (?, ?, ?, ?, NULL, 0, ?)`,
    );
    for (const gate of gates) {
      insertGate.run(job.id, gate.stage, STAGES.indexOf(gate.stage), gate.required ? 1 : 0, gate.timeout_seconds);
    }
  }

  async deleteJob(jobId: string): Promise<void> {
    for (const table of ['events', 'gates', 'artifacts']) {
      this.statements.get(`DELETE FROM ${table} WHERE job_id = ?`).run(jobId);
    }
    this.statements.get('DELETE FROM jobs WHERE id = ?').run(jobId);
  }

  async updateJob(jobId: string, changes: JobChanges): Promise<void> {
    const columns = Object.keys(changes) as (keyof JobChanges)[];
    const sets = columns.map((column) => `${column} = ?`).join(', ');
    this.statements.get(`UPDATE jobs SET ${sets} WHERE id = ?`).run(...columns.map((column) => changes[column]), jobId);
  }

  async decideGate(jobId: string, stage: Stage, decision: GateDecision): Promise<void> {
    this.statements
      .get(
        `UPDATE gates SET approved = ?, by = ?, at = ?, notes = ?, patch = ?, auto_approved = ?, auto_approve_at = NULL
         WHERE job_id = ? AND stage = ?`,
      )
      .run(
        decision.approved === null ? null : decision.approved ? 1 : 0,
        decision.by,
        decision.at,
        decision.notes,
        decision.patch ? JSON.stringify(decision.patch) : null,
        decision.auto_approved ? 1 : 0,
        jobId,
        stage,
      );
    this.decided.set(`${jobId}/${stage}`, { jobId, stage });
  }

  async setGateDeadline(jobId: string, stage: Stage, deadline: string | null): Promise<void> {
    this.statements
      .get('UPDATE gates SET auto_approve_at = ? WHERE job_id = ? AND stage = ?')
      .run(deadline, jobId, stage);
  }

  async upsertArtifact(jobId: string, artifact: ArtifactRecord): Promise<void> {
    this.statements
      .get(
        `INSERT INTO artifacts (job_id, stage, kind, path, meta, created_at, size_bytes, checksum)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (job_id, path) DO UPDATE SET stage = excluded.stage, kind = excluded.kind, meta = excluded.meta,
           created_at = excluded.created_at, size_bytes = excluded.size_bytes, checksum = excluded.checksum`,
      )
      .run(
        jobId,
        artifact.stage,
        artifact.kind,
        artifact.path,
        JSON.stringify(artifact.meta),
        artifact.created_at,
        artifact.size_bytes,
        artifact.checksum,
      );
  }

  async appendEvent(input: EventInput): Promise<JobEvent> {
    const ts = this.clock.next();
    const payload = input.payload ?? {};
    const stage = input.stage ?? null;
    const status = input.status ?? null;
    const unnumbered = makeEvent(0, input.jobId, ts, input.type, stage, status, input.message, payload);
    const afterId = jsonAfterId(unnumbered);
    const { lastInsertRowid } = this.statements
      .get(
        'INSERT INTO events (job_id, ts, type, stage, status, message, payload, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(input.jobId, ts, input.type, stage, status, input.message, JSON.stringify(payload), afterId);
    const event = { ...unnumbered, id: Number(lastInsertRowid) };
    this.events.push({ event, json: withId(event.id, afterId) });
    return event;
  }

  async claimNextQueued(owner: string, until: string, now: string, skip: readonly string[]): Promise<JobState | null> {
    // A queued job runs nowhere: any lease it still carries is a leftover, so the oldest one is free.
    const row = this.statements
      .get(
        `SELECT ${STATE_COLUMNS} FROM jobs WHERE status = 'queued' AND id NOT IN (SELECT value FROM json_each(?))
         ORDER BY seq ASC LIMIT 1`,
      )
      .get(JSON.stringify(skip)) as JobState | undefined;
    if (!row) return null;
    this.statements
      .get('UPDATE jobs SET lease_owner = ?, lease_expires_at = ?, updated_at = ? WHERE id = ?')
      .run(owner, until, now, row.id);
    return row;
  }

  /** What this unit of work committed, read once the transaction is done. */
  committed(): Commit {
    const decidedGates = [...this.decided.values()].map(({ jobId, stage }) => ({
      jobId,
      gate: this.gateNow(jobId, stage) as GateRecord,
    }));
    return { startedAt: this.startedAt, events: this.events, decidedGates };
  }

  private gateNow(jobId: string, stage: Stage): GateRecord | null {
    const row = this.statements.get('SELECT * FROM gates WHERE job_id = ? AND stage = ?').get(jobId, stage) as
      GateRow | undefined;
    return row ? toGate(row) : null;
  }
}
