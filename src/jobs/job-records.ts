import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { JOB_STATUSES, JobStatus, STAGES, Stage, TERMINAL_STATUSES } from '../domain/stages';
import { OperatorConfig } from '../config/operator-config';
import { Sqlite } from '../database/database.module';
import { StatementCache } from '../database/statement-cache';

export const ACTIVE_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter(
  (status) => !TERMINAL_STATUSES.includes(status),
);

export interface NewJob {
  id: string;
  slug: string;
  intent: string;
  cfg: Record<string, unknown>;
  operator: string;
  now: string;
}

export interface JobRow {
  id: string;
  seq: number;
  slug: string;
  status: JobStatus;
  stage: Stage;
  started_at: string | null;
  deadline_at: string | null;
}

export interface GateRow {
  job_id: string;
  stage: Stage;
  required: number;
  approved: number | null;
  by: string | null;
  at: string | null;
  notes: string | null;
  patch: string | null;
  auto_approved: number;
  timeout_seconds: number | null;
  auto_approve_at: string | null;
}

export interface GateDecision {
  approved: boolean | null;
  by: string | null;
  at: string | null;
  notes: string | null;
  patch: Record<string, unknown> | null;
  autoApproved: boolean;
}

export interface ArtifactRecord {
  stage: Stage;
  kind: string;
  path: string;
  meta: Record<string, unknown>;
  sizeBytes: number;
  checksum: string;
  now: string;
}

/**
 * The job aggregate's writes (job row, gates, artifacts) as synchronous statements, so each commits
 * in the same transaction as the event that reports it (EventLogger.emit's `alongWith`). Every state
 * change checks the current status in the statement itself: a racing request gets a 409, never half.
 */
@Injectable()
export class JobRecords {
  private readonly statements: StatementCache;

  constructor(
    sqlite: Sqlite,
    private readonly config: OperatorConfig,
  ) {
    this.statements = new StatementCache(sqlite.db);
  }

  /** The job row and one gate per configured stage. */
  insertJob(job: NewJob): void {
    this.run(
      `INSERT INTO jobs (id, seq, slug, intent, status, stage, cfg, operator, created_at, updated_at)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?, ?, 'queued', 'outline', ?, ?, ?, ?)`,
      job.id,
      job.slug,
      job.intent,
      JSON.stringify(job.cfg),
      job.operator,
      job.now,
      job.now,
    );
    STAGES.forEach((stage: Stage, position) => {
      const gate = this.config.gates[stage];
      if (!gate) return;
      const timeout = gate.auto_approve ? gate.auto_approve_after_s : null;
      this.run(
        `INSERT INTO gates (job_id, stage, position, required, approved, auto_approved, timeout_seconds)
         VALUES (?, ?, ?, ?, NULL, 0, ?)`,
        job.id,
        stage,
        position,
        gate.required ? 1 : 0,
        timeout,
      );
    });
  }

  job(jobId: string): JobRow {
    const row = this.statement(
      'SELECT id, seq, slug, status, stage, started_at, deadline_at FROM jobs WHERE id = ?',
    ).get(jobId) as JobRow | undefined;
    if (!row) throw new NotFoundException(`Job ${jobId} not found`);
    return row;
  }

  /** Queued jobs in creation order (the FIFO queue). */
  queuedJobIds(limit: number): string[] {
    const rows = this.statement(`SELECT id FROM jobs WHERE status = 'queued' ORDER BY seq ASC LIMIT ?`).all(limit) as {
      id: string;
    }[];
    return rows.map((row) => row.id);
  }

  jobIdsWithStatus(status: JobStatus): string[] {
    return (
      this.statement('SELECT id FROM jobs WHERE status = ? ORDER BY seq ASC').all(status) as { id: string }[]
    ).map((r) => r.id);
  }

  /** Active jobs whose job_timeout_hours deadline has passed. */
  overdueJobIds(now: string): string[] {
    const active = ACTIVE_STATUSES.map((s) => `'${s}'`).join(', ');
    const sql = `SELECT id FROM jobs WHERE deadline_at IS NOT NULL AND deadline_at <= ? AND status IN (${active})`;
    return (this.statement(sql).all(now) as { id: string }[]).map((r) => r.id);
  }

  /** Waiting gates whose auto-approve deadline has passed. */
  dueGates(now: string): { job_id: string; stage: Stage }[] {
    return this.statement(
      `SELECT g.job_id, g.stage FROM gates g JOIN jobs j ON j.id = g.job_id
       WHERE j.status = 'needs_approval' AND j.stage = g.stage AND g.approved IS NULL
         AND g.auto_approve_at IS NOT NULL AND g.auto_approve_at <= ?`,
    ).all(now) as { job_id: string; stage: Stage }[];
  }

  /**
   * Moves the job to `to` only if its status is one of `from`, checked in the same statement, so two
   * racing requests cannot both succeed. Throws 409 otherwise (inside `alongWith`, that rolls back the event).
   */
  transition(
    jobId: string,
    from: readonly JobStatus[],
    to: JobStatus,
    now: string,
    changes: { stage?: Stage; startedAt?: string; deadlineAt?: string | null } = {},
  ): void {
    const placeholders = from.map(() => '?').join(', ');
    const sets = ['status = ?', 'updated_at = ?'];
    const values: unknown[] = [to, now];
    if (changes.stage !== undefined) {
      sets.push('stage = ?');
      values.push(changes.stage);
    }
    if (changes.startedAt !== undefined) {
      sets.push('started_at = ?');
      values.push(changes.startedAt);
    }
    if (changes.deadlineAt !== undefined) {
      sets.push('deadline_at = ?');
      values.push(changes.deadlineAt);
    }
    const result = this.statements
      .get(`UPDATE jobs SET ${sets.join(', ')} WHERE id = ? AND status IN (${placeholders})`)
      .run(...values, jobId, ...from);
    if (result.changes === 0) {
      const { status } = this.job(jobId);
      throw new ConflictException(`Job ${jobId} is ${status}; it cannot become ${to}`);
    }
  }

  /** Checks, inside an event's transaction, that the job is still in one of these statuses (409 naming `action`). */
  assertStatus(jobId: string, allowed: readonly JobStatus[], action?: string): JobRow {
    const job = this.job(jobId);
    if (!allowed.includes(job.status)) {
      const rule = action ? `; only a ${allowed.join(' or ')} job can be ${action}` : '';
      throw new ConflictException(`Job ${jobId} is ${job.status}${rule}`);
    }
    return job;
  }

  gate(jobId: string, stage: Stage): GateRow | undefined {
    return this.statement('SELECT * FROM gates WHERE job_id = ? AND stage = ?').get(jobId, stage) as
      GateRow | undefined;
  }

  decideGate(jobId: string, stage: Stage, decision: GateDecision): void {
    this.run(
      `UPDATE gates SET approved = ?, by = ?, at = ?, notes = ?, patch = ?, auto_approved = ?, auto_approve_at = NULL
       WHERE job_id = ? AND stage = ?`,
      decision.approved === null ? null : decision.approved ? 1 : 0,
      decision.by,
      decision.at,
      decision.notes,
      decision.patch ? JSON.stringify(decision.patch) : null,
      decision.autoApproved ? 1 : 0,
      jobId,
      stage,
    );
  }

  setGateDeadline(jobId: string, stage: Stage, deadline: string | null): void {
    this.run('UPDATE gates SET auto_approve_at = ? WHERE job_id = ? AND stage = ?', deadline, jobId, stage);
  }

  upsertArtifact(jobId: string, artifact: ArtifactRecord): void {
    this.run(
      `INSERT INTO artifacts (job_id, stage, kind, path, meta, created_at, size_bytes, checksum)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (job_id, path) DO UPDATE SET stage = excluded.stage, kind = excluded.kind, meta = excluded.meta,
         created_at = excluded.created_at, size_bytes = excluded.size_bytes, checksum = excluded.checksum`,
      jobId,
      artifact.stage,
      artifact.kind,
      artifact.path,
      JSON.stringify(artifact.meta),
      artifact.now,
      artifact.sizeBytes,
      artifact.checksum,
    );
  }

  private run(sql: string, ...params: unknown[]): void {
    this.statement(sql).run(...params);
  }

  private statement(sql: string): Statement {
    return this.statements.get(sql);
  }
}
