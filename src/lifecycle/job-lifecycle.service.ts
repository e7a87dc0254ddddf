import { Injectable } from '@nestjs/common';
import { ConflictError, JobNotFound } from '../domain/errors';
import { EventInput, JobEvent } from '../domain/events';
import { JobEvents, StageEvents, GateEvents } from '../domain/event-catalog';
import { STAGES, Stage, nextStage } from '../domain/stages';
import { OperatorConfig } from '../config/operator-config';
import { ArtifactRecord, NewGate, Store } from '../store/store.port';
import { JobCommand } from './unit-of-work';

export interface NewJobInput {
  id: string;
  slug: string;
  intent: string;
  cfg: Record<string, unknown>;
  operator: string;
}

/** A job this instance now runs, at the stage it starts with. */
export interface ClaimedJob {
  jobId: string;
  slug: string;
  stage: Stage;
  /** The id of the claim's `stage_started`: events about the job before it concern an earlier run. */
  claimedAtId: number;
}

/** What completing a stage led to: the next stage to run, or the end of this run. */
export type StageOutcome = { next: Stage } | { next: null; reason: 'paused' | 'completed' };

/**
 * The job's side of the lifecycle: created, claimed, its stages run, completed, failed, canceled,
 * recovered. Each method is one unit of work on the store (docs/ARCHITECTURE.md).
 */
@Injectable()
export class JobLifecycle {
  constructor(
    private readonly store: Store,
    private readonly config: OperatorConfig,
  ) {}

  async create(job: NewJobInput): Promise<void> {
    const now = new Date().toISOString();
    const gates: NewGate[] = STAGES.flatMap((stage) => {
      const gate = this.config.gates[stage];
      return gate
        ? [{ stage, required: gate.required, timeout_seconds: gate.auto_approve ? gate.auto_approve_after_s : null }]
        : [];
    });
    await this.store.unitOfWork(async (tx) => {
      await tx.insertJob({ ...job, created_at: now }, gates);
      await tx.appendEvent(JobEvents.created(job.id, job.slug, job.operator));
    });
  }

  /** The oldest queued job not in `skip`, started and leased to `owner` (null: the queue is empty). */
  claimNext(owner: string, skip: readonly string[]): Promise<ClaimedJob | null> {
    const now = new Date();
    const until = this.leaseUntil(now.getTime());
    return this.store.unitOfWork(async (tx) => {
      const claimed = await tx.claimNextQueued(owner, until, now.toISOString(), skip);
      if (!claimed) return null;
      const isFirstStart = claimed.started_at === null;
      const command = await JobCommand.begin(tx, claimed.id, isFirstStart ? 'start' : 'start_stage', now.toISOString());
      const stage = claimed.stage;
      let appended: JobEvent[];
      if (isFirstStart) {
        const deadline = new Date(now.getTime() + this.config.pipeline.job_timeout_hours * 3_600_000).toISOString();
        await command.updateJob({ stage, started_at: now.toISOString(), deadline_at: deadline });
        appended = await command.append(JobEvents.started(claimed.id), StageEvents.started(claimed.id, stage, owner));
      } else {
        await command.updateJob({ stage });
        appended = await command.append(StageEvents.started(claimed.id, stage, owner));
      }
      return { jobId: claimed.id, slug: claimed.slug, stage, claimedAtId: appended[appended.length - 1].id };
    });
  }

  /** One line of a running stage's output. */
  log(jobId: string, stage: Stage, stream: 'stdout' | 'stderr', line: string): Promise<void> {
    return this.store.unitOfWork(async (tx) => {
      const command = await JobCommand.begin(tx, jobId, 'log', new Date().toISOString());
      await command.append(StageEvents.log(jobId, stage, stream, line));
    });
  }

  /**
   * The stage is done, in one unit of work: each file it wrote gets its row and `artifact_created`,
   * then the job pauses at its gate, completes, or starts the next stage.
   */
  completeStage(
    jobId: string,
    stage: Stage,
    result: Record<string, unknown>,
    artifacts: readonly ArtifactRecord[] = [],
  ): Promise<StageOutcome> {
    const now = new Date();
    return this.store.unitOfWork(async (tx) => {
      for (const artifact of artifacts) {
        const command = await JobCommand.begin(tx, jobId, 'record_artifact', artifact.created_at);
        await tx.upsertArtifact(jobId, artifact);
        await command.append(StageEvents.artifactCreated(jobId, artifact.stage, artifact.kind, artifact.path));
      }
      const gate = await tx.gate(jobId, stage);
      const next = nextStage(stage);
      const completed = StageEvents.completed(jobId, stage, result);
      if (gate && gate.required && gate.approved !== true) {
        const command = await JobCommand.begin(tx, jobId, 'pause_at_gate', now.toISOString());
        const deadline =
          gate.timeout_seconds !== null ? new Date(now.getTime() + gate.timeout_seconds * 1000).toISOString() : null;
        await command.updateJob({ stage });
        await tx.setGateDeadline(jobId, stage, deadline);
        await command.append(completed, GateEvents.pause(jobId, stage, gate.timeout_seconds));
        return { next: null, reason: 'paused' };
      }
      if (next === null) {
        const command = await JobCommand.begin(tx, jobId, 'complete', now.toISOString());
        await command.updateJob();
        await command.append(completed, JobEvents.completed(jobId, stage));
        return { next: null, reason: 'completed' };
      }
      const command = await JobCommand.begin(tx, jobId, 'next_stage', now.toISOString());
      await command.updateJob({ stage: next });
      await command.append(completed, StageEvents.started(jobId, next, this.config.cluster.instance_id));
      return { next };
    });
  }

  /** A stage error or timeout (`stage_failed`, `job_failed`), or a job that cannot go on (`job_failed`). */
  fail(jobId: string, message: string): Promise<void> {
    return this.store.unitOfWork(async (tx) => {
      const job = await tx.job(jobId);
      const now = new Date().toISOString();
      if (job?.status === 'running') {
        const command = await JobCommand.begin(tx, jobId, 'fail_stage', now);
        await command.updateJob();
        await command.append(StageEvents.failed(jobId, job.stage, message), JobEvents.failed(jobId, message));
        return;
      }
      const command = await JobCommand.begin(tx, jobId, 'fail', now);
      await command.updateJob();
      await command.append(JobEvents.failed(jobId, message));
    });
  }

  cancel(jobId: string, operator: string): Promise<void> {
    return this.store.unitOfWork(async (tx) => {
      const command = await JobCommand.begin(tx, jobId, 'cancel', new Date().toISOString());
      await command.updateJob();
      await command.append(JobEvents.canceled(jobId, operator));
    });
  }

  /** A finished job removed: rows, events (the run dir follows after commit, RunDirs); `job_deleted` records it. */
  delete(jobId: string, operator: string): Promise<void> {
    return this.store.unitOfWork(async (tx) => {
      const command = await JobCommand.begin(tx, jobId, 'delete', new Date().toISOString());
      await tx.deleteJob(jobId);
      await command.append(JobEvents.deleted(jobId, command.job.status, operator));
    });
  }

  /**
   * A job that was running when its instance stopped: back to the queue, to re-run the interrupted
   * stage. The lease is checked in the transaction (its holder may have renewed it since it was read):
   * a takeover needs it expired; a restart (`by` starting up) needs it to be `by`'s own, or the store
   * to be this instance's alone (SQLite: the stopped process was the only one). ConflictError if not.
   */
  recover(jobId: string, reason: 'restart' | 'takeover', by: string): Promise<Stage> {
    return this.store.unitOfWork(async (tx) => {
      const now = new Date().toISOString();
      const command = await JobCommand.begin(tx, jobId, 'recover', now);
      const { lease_owner: owner, lease_expires_at: expires } = command.job;
      const isLive = owner !== null && owner !== by && (expires ?? '') >= now;
      const isOthers = this.config.storage.engine !== 'sqlite' && owner !== null && owner !== by;
      if ((reason === 'takeover' && isLive) || (reason === 'restart' && isOthers)) {
        throw new ConflictError(`Job ${jobId} is held by instance ${owner} until ${expires}`);
      }
      await command.updateJob();
      await command.append(JobEvents.resumed(jobId, command.job.stage, reason));
      return command.job.stage;
    });
  }

  /** Keeps this instance's claim on the jobs it runs; resolves to the ones it still holds (the others were taken over). */
  renewLeases(owner: string, jobIds: readonly string[]): Promise<string[]> {
    return this.store.renewLeases(owner, jobIds, this.leaseUntil(Date.now()));
  }

  private leaseUntil(nowMs: number): string {
    return new Date(nowMs + this.config.cluster.lease_seconds * 1000).toISOString();
  }

  /** The job's run here has ended (paused, finished or stopped): another instance may claim it. */
  releaseLease(owner: string, jobId: string): Promise<void> {
    return this.store.releaseLease(owner, jobId);
  }

  /**
   * An event that changes no job or gate, appended as it is (tests and the bench use it to stand in
   * for a stage's output). The job must exist.
   */
  record(input: EventInput): Promise<JobEvent> {
    return this.store.unitOfWork(async (tx) => {
      if (!(await tx.job(input.jobId))) throw new JobNotFound(input.jobId);
      return tx.appendEvent(input);
    });
  }
}
