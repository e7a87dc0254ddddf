import { Injectable } from '@nestjs/common';
import { clip } from '../common/text';
import { ConflictError, InvalidInputError, JobNotFound, NotFoundError } from '../domain/errors';
import { GateEvents, JobEvents } from '../domain/event-catalog';
import { Stage, nextStage, stageIndex } from '../domain/stages';
import { Command, transitionFor } from '../domain/transitions';
import { ArtifactRecord, GateDecision, GateRecord, JobAggregate, Store, StoreTx } from '../store/store.port';
import { JobCommand } from './unit-of-work';

/** A patch already applied to the stage's artifact on disk: the validated patch and the file's new record. */
export interface AppliedPatch {
  patch: Record<string, unknown>;
  artifact: ArtifactRecord;
}

/** Applies a raw patch to the stage's artifact (file I/O, before the unit of work); throws 400/404 if it cannot. */
export type PatchApplier = (stage: Stage, rawPatch: unknown) => AppliedPatch;

export interface DecisionRequest {
  operator: string;
  notes: string | null;
  patch?: unknown;
}

export function decisionOf(approved: boolean | null): 'approved' | 'rejected' | 'pending' {
  return approved === null ? 'pending' : approved ? 'approved' : 'rejected';
}

const PENDING: GateDecision = { approved: null, by: null, at: null, notes: null, patch: null, auto_approved: false };

/**
 * The gates' side of the lifecycle: approve (the waiting gate, or a later one in advance),
 * auto-approve, reject, resume, and patches. A patch is applied to its file before the unit of work
 * (a patch that does not apply changes nothing); the decision, the job's move and the events then
 * commit together.
 */
@Injectable()
export class GateLifecycle {
  constructor(private readonly store: Store) {}

  /** The job, if it has a gate for `stage` (404 otherwise, as for an unknown job). */
  async gateOf(jobId: string, rawStage: unknown): Promise<{ job: JobAggregate; gate: GateRecord }> {
    const job = await this.store.job(jobId);
    if (!job) throw new JobNotFound(jobId);
    const gate = job.gates.find((candidate) => candidate.stage === rawStage);
    if (!gate) throw new NotFoundError(`Gate '${clip(String(rawStage))}' not found for job ${jobId}`);
    return { job, gate };
  }

  async approve(jobId: string, stage: Stage, request: DecisionRequest, applyPatch: PatchApplier): Promise<void> {
    const { job } = await this.gateOf(jobId, stage);
    if (!(job.status === 'needs_approval' && job.stage === stage)) return this.approveInAdvance(jobId, stage, request);
    const applied = request.patch ? applyPatch(stage, request.patch) : null;
    const next = nextStage(stage);
    const command: Command = next
      ? applied
        ? 'approve_with_patch'
        : 'approve'
      : applied
        ? 'approve_last_with_patch'
        : 'approve_last';
    await this.store.unitOfWork(async (tx) => {
      const at = new Date().toISOString();
      const unit = await this.waitingAt(tx, jobId, stage, command, at);
      const patch = applied?.patch ?? null;
      await tx.decideGate(jobId, stage, {
        approved: true,
        by: request.operator,
        at,
        notes: request.notes,
        patch,
        auto_approved: false,
      });
      await unit.updateJob(next ? { stage: next } : {});
      const events = [GateEvents.approved(jobId, stage, request.operator, request.notes, patch)];
      if (applied) {
        await tx.upsertArtifact(jobId, applied.artifact);
        events.push(GateEvents.patchApplied(jobId, stage, request.operator, applied.patch, false));
      }
      if (!next) events.push(JobEvents.completed(jobId, stage));
      await unit.append(...events);
    });
  }

  /** The timer's approval of a waiting gate whose auto-approve deadline passed. */
  autoApprove(jobId: string, stage: Stage): Promise<void> {
    const next = nextStage(stage);
    return this.store.unitOfWork(async (tx) => {
      const at = new Date().toISOString();
      const unit = await this.waitingAt(tx, jobId, stage, next ? 'auto_approve' : 'auto_approve_last', at);
      await tx.decideGate(jobId, stage, {
        approved: true,
        by: 'timer',
        at,
        notes: null,
        patch: null,
        auto_approved: true,
      });
      await unit.updateJob(next ? { stage: next } : {});
      const approved = GateEvents.autoApproved(jobId, stage, 'timeout');
      await (next ? unit.append(approved) : unit.append(approved, JobEvents.completed(jobId, stage)));
    });
  }

  /** Rejects the waiting gate; a patch comes validated and is applied on resume. */
  reject(
    jobId: string,
    stage: Stage,
    request: DecisionRequest & { patch: Record<string, unknown> | null },
  ): Promise<void> {
    return this.store.unitOfWork(async (tx) => {
      const at = new Date().toISOString();
      const unit = await this.waitingAt(tx, jobId, stage, 'reject', at);
      const { operator, notes, patch } = request;
      await tx.decideGate(jobId, stage, { approved: false, by: operator, at, notes, patch, auto_approved: false });
      await unit.updateJob();
      await unit.append(GateEvents.rejected(jobId, stage, operator, notes, patch));
    });
  }

  /**
   * Resumes a paused job. With the rejection's patch: applied, the gate recorded approved by
   * "<operator> (patch applied)", the job goes on with the next stage (or completes). Without: the
   * rejected stage runs again and its gate waits for a new decision. Returns how many patches applied.
   */
  async resume(jobId: string, operator: string, applyPatch: PatchApplier): Promise<number> {
    const job = await this.store.job(jobId);
    if (!job) throw new JobNotFound(jobId);
    // Checked before the file changes: a job that is not paused keeps its artifacts as they are.
    transitionFor(jobId, job.status, 'resume');
    const stage = job.stage;
    const rejection = job.gates.find((gate) => gate.stage === stage);
    const patch = rejection?.patch ?? null;
    if (!patch) {
      await this.store.unitOfWork(async (tx) => {
        const unit = await JobCommand.begin(tx, jobId, 'resume', new Date().toISOString());
        await unit.updateJob({ stage });
        await tx.decideGate(jobId, stage, PENDING);
        await unit.append(JobEvents.resumed(jobId, stage));
      });
      return 0;
    }
    const applied = applyPatch(stage, patch);
    const next = nextStage(stage);
    await this.store.unitOfWork(async (tx) => {
      const at = new Date().toISOString();
      const unit = await JobCommand.begin(tx, jobId, next ? 'resume_with_patch' : 'resume_last_with_patch', at);
      await unit.updateJob({ stage: next ?? stage });
      const by = `${operator} (patch applied)`;
      await tx.decideGate(jobId, stage, {
        approved: true,
        by,
        at,
        notes: rejection?.notes ?? null,
        patch: applied.patch,
        auto_approved: false,
      });
      await tx.upsertArtifact(jobId, applied.artifact);
      const events = [
        JobEvents.resumed(jobId, stage),
        GateEvents.patchApplied(jobId, stage, operator, applied.patch, false),
      ];
      if (!next) events.push(JobEvents.completed(jobId, stage));
      await unit.append(...events);
    });
    return 1;
  }

  /** A patch applied now, in any job status: the artifact's new record and `patch_applied_direct`. */
  async applyDirect(
    jobId: string,
    stage: Stage,
    operator: string,
    rawPatch: unknown,
    applyPatch: PatchApplier,
  ): Promise<AppliedPatch> {
    if (!(await this.store.jobExists(jobId))) throw new JobNotFound(jobId);
    const applied = applyPatch(stage, rawPatch);
    await this.store.unitOfWork(async (tx) => {
      const unit = await JobCommand.begin(tx, jobId, 'apply_patch_direct', new Date().toISOString());
      await tx.upsertArtifact(jobId, applied.artifact);
      await unit.append(GateEvents.patchApplied(jobId, stage, operator, applied.patch, true));
    });
    return applied;
  }

  /** A gate of a stage the job has not reached yet (or is running now): approved now, no pause later. */
  private approveInAdvance(jobId: string, stage: Stage, request: DecisionRequest): Promise<void> {
    return this.store.unitOfWork(async (tx) => {
      const at = new Date().toISOString();
      await this.assertUndecided(tx, jobId, stage);
      const unit = await JobCommand.begin(tx, jobId, 'approve_in_advance', at);
      const job = unit.job;
      const isAhead =
        stageIndex(stage) > stageIndex(job.stage) ||
        (stage === job.stage && (job.status === 'queued' || job.status === 'running'));
      if (!isAhead) {
        throw new ConflictError(
          `Gate '${stage}' of job ${jobId} is not waiting for a decision: the job is ${job.status} at ${job.stage}`,
        );
      }
      if (request.patch) {
        throw new InvalidInputError(
          `A patch can only come with the decision on the gate the job waits at; ${stage} has not run yet`,
        );
      }
      const { operator, notes } = request;
      await tx.decideGate(jobId, stage, { approved: true, by: operator, at, notes, patch: null, auto_approved: false });
      await unit.append(GateEvents.approved(jobId, stage, operator, notes, null));
    });
  }

  /** The unit of work of a decision on the gate the job waits at: 409 unless it waits there, undecided. */
  private async waitingAt(tx: StoreTx, jobId: string, stage: Stage, command: Command, at: string): Promise<JobCommand> {
    await this.assertUndecided(tx, jobId, stage);
    const job = await tx.job(jobId);
    if (!job) throw new JobNotFound(jobId);
    if (job.status !== 'needs_approval' || job.stage !== stage) {
      throw new ConflictError(
        `Gate '${stage}' of job ${jobId} is not waiting for a decision (job is ${job.status} at ${job.stage})`,
      );
    }
    return JobCommand.begin(tx, jobId, command, at);
  }

  private async assertUndecided(tx: StoreTx, jobId: string, stage: Stage): Promise<void> {
    const gate = await tx.gate(jobId, stage);
    if (gate && gate.approved !== null) {
      throw new ConflictError(`Gate '${stage}' of job ${jobId} is already ${decisionOf(gate.approved)}`);
    }
  }
}
