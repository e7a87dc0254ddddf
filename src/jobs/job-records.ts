import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { JOB_STATUSES, JobStatus, STAGES, Stage, TERMINAL_STATUSES } from '../common/stages';
import { OperatorConfig } from '../config/operator-config';
import { Sqlite } from '../database/database.module';

export interface NewJob {
  id: string;
  slug: string;
  intent: string;
  cfg: Record<string, unknown>;
  operator: string;
  now: string;
}

/**
 * The job-side writes, as synchronous statements so they can commit in the same transaction as the
 * event that reports them (see EventLogger.emit's `alongWith`).
 */
@Injectable()
export class JobRecords {
  constructor(
    private readonly sqlite: Sqlite,
    private readonly config: OperatorConfig,
  ) {}

  /** The job row and one gate per configured stage. */
  insertJob(job: NewJob): void {
    const db = this.sqlite.db;
    db.prepare(
      `INSERT INTO jobs (id, seq, slug, intent, status, stage, cfg, operator, created_at, updated_at)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM jobs), ?, ?, 'queued', 'outline', ?, ?, ?, ?)`,
    ).run(job.id, job.slug, job.intent, JSON.stringify(job.cfg), job.operator, job.now, job.now);
    const insertGate = db.prepare(
      `INSERT INTO gates (job_id, stage, position, required, approved, auto_approved, timeout_seconds)
       VALUES (?, ?, ?, ?, NULL, 0, ?)`,
    );
    STAGES.forEach((stage: Stage, position) => {
      const gate = this.config.gates[stage];
      if (!gate) return;
      const timeout = gate.auto_approve ? gate.auto_approve_after_s : null;
      insertGate.run(job.id, stage, position, gate.required ? 1 : 0, timeout);
    });
  }

  /**
   * Moves the job to `to` only if its status is one of `from`, checked in the same statement, so two
   * racing requests cannot both succeed. Throws 409 otherwise (inside `alongWith`, that rolls back the event).
   */
  transition(jobId: string, from: readonly JobStatus[], to: JobStatus, now: string): void {
    const placeholders = from.map(() => '?').join(', ');
    const result = this.sqlite.db
      .prepare(`UPDATE jobs SET status = ?, updated_at = ? WHERE id = ? AND status IN (${placeholders})`)
      .run(to, now, jobId, ...from);
    if (result.changes === 0) {
      const row = this.sqlite.db.prepare('SELECT status FROM jobs WHERE id = ?').get(jobId) as
        | { status: string }
        | undefined;
      if (!row) throw new NotFoundException(`Job ${jobId} not found`);
      throw new ConflictException(`Job ${jobId} is ${row.status}; it cannot become ${to}`);
    }
  }
}

export const ACTIVE_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter((status) => !TERMINAL_STATUSES.includes(status));
