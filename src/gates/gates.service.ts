import { readFileSync } from 'node:fs';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Stage, isStage, isTerminal } from '../domain/stages';
import { stageIndex } from '../domain/stages';
import { clip } from '../common/text';
import { RunPaths } from '../config/run-paths';
import { GateEvents } from '../domain/event-catalog';
import { EventLogger } from '../events/event-logger.service';
import { GateDecision, GateRow, JobRecords } from '../jobs/job-records';
import { DEFAULT_OPERATOR, JobsService } from '../jobs/jobs.service';
import { StateFiles } from '../jobs/state-files';
import { ArtifactRegistry } from '../orchestrator/artifact-registry';
import { DecisionFiles } from '../orchestrator/decision-files';
import { GateProgression } from '../orchestrator/gate-progression';
import { GateDecisionDto } from './dto/gate-decision.dto';
import { AppliedPatch, PatchService } from './patch.service';

export function decisionOf(approved: boolean | number | null): 'approved' | 'rejected' | 'pending' {
  return approved === null ? 'pending' : approved ? 'approved' : 'rejected';
}

/** approve / reject of gates (SPEC §8): the waiting gate, or a later gate approved in advance. */
@Injectable()
export class GatesService {
  constructor(
    private readonly records: JobRecords,
    private readonly events: EventLogger,
    private readonly progression: GateProgression,
    private readonly decisions: DecisionFiles,
    private readonly patches: PatchService,
    private readonly artifacts: ArtifactRegistry,
    private readonly states: StateFiles,
    private readonly jobs: JobsService,
    private readonly paths: RunPaths,
  ) {}

  approve(jobId: string, body: GateDecisionDto): { message: string } {
    if (body.decision !== undefined && body.decision !== 'approved') {
      throw new BadRequestException(`decision must be "approved" on approve (use reject to reject)`);
    }
    const stage = this.gateStage(jobId, body.stage);
    const operator = body.operator ?? DEFAULT_OPERATOR;
    const notes = body.notes ?? null;
    const job = this.records.job(jobId);
    const at = new Date().toISOString();
    if (job.status === 'needs_approval' && job.stage === stage) {
      // The patch goes to disk before the decision is recorded: one that does not apply is a 400 and
      // leaves both the file and the gate as they were (nothing in between can interleave: this is synchronous).
      const applied = body.patch ? this.patches.apply(jobId, stage, body.patch) : null;
      const patch = applied?.patch ?? null;
      const decision: GateDecision = { approved: true, by: operator, at, notes, patch, autoApproved: false };
      this.progression.approveWaitingGate(
        jobId,
        stage,
        decision,
        GateEvents.approved(jobId, stage, operator, notes, patch),
        () => {
          if (applied) this.reportPatch(jobId, stage, operator, applied, false);
        },
      );
    } else {
      this.approveInAdvance(
        jobId,
        stage,
        { approved: true, by: operator, at, notes, patch: null, autoApproved: false },
        body,
      );
    }
    return { message: `Gate ${stage} approved successfully` };
  }

  reject(jobId: string, body: GateDecisionDto): { message: string } {
    if (body.decision !== undefined && body.decision !== 'rejected') {
      throw new BadRequestException(`decision must be "rejected" on reject (use approve to approve)`);
    }
    const stage = this.gateStage(jobId, body.stage);
    const operator = body.operator ?? DEFAULT_OPERATOR;
    const notes = body.notes ?? null;
    const patch = body.patch ? this.patches.validate(body.patch, stage) : null;
    const decision: GateDecision = {
      approved: false,
      by: operator,
      at: new Date().toISOString(),
      notes,
      patch,
      autoApproved: false,
    };
    this.events.emit(GateEvents.rejected(jobId, stage, operator, notes, patch), () => {
      this.assertUndecided(jobId, stage);
      this.progression.assertWaitingAt(jobId, stage, ['needs_approval']);
      this.records.decideGate(jobId, stage, decision);
      this.records.transition(jobId, ['needs_approval'], 'paused', decision.at as string);
    });
    this.decisions.write(jobId, stage, decision);
    void this.states.refresh(jobId);
    return { message: `Gate ${stage} rejected successfully` };
  }

  /** Applies a patch to the stage's artifact now, in any job status, and emits patch_applied_direct. */
  applyDirect(jobId: string, stage: Stage, operator: string, rawPatch: unknown): AppliedPatch {
    const applied = this.patches.apply(jobId, stage, rawPatch);
    this.reportPatch(jobId, stage, operator, applied, true);
    return applied;
  }

  private reportPatch(jobId: string, stage: Stage, operator: string, applied: AppliedPatch, direct: boolean): void {
    this.events.emit(GateEvents.patchApplied(jobId, stage, operator, applied.patch, direct), () =>
      this.artifacts.refresh(jobId, stage, applied.path),
    );
    void this.states.refresh(jobId);
  }

  async status(jobId: string) {
    const job = await this.jobs.get(jobId);
    const count = (value: boolean | null) => job.gates.filter((gate) => gate.approved === value).length;
    return {
      job_id: job.id,
      job_status: job.status,
      current_stage: job.stage,
      gates: job.gates,
      total_gates: job.gates.length,
      approved_gates: count(true),
      rejected_gates: count(false),
      pending_gates: count(null),
    };
  }

  async decisionsOf(jobId: string) {
    const job = await this.jobs.get(jobId);
    const decided = job.gates.filter((gate) => gate.approved !== null);
    return {
      job_id: job.id,
      decisions: Object.fromEntries(decided.map((gate) => [gate.stage, decisionOf(gate.approved)])),
      total_decisions: decided.length,
    };
  }

  decisionFile(jobId: string, rawStage: string): unknown {
    const stage = this.gateStage(jobId, rawStage);
    try {
      return JSON.parse(readFileSync(this.paths.gateDecisionFile(jobId, stage), 'utf8'));
    } catch {
      throw new NotFoundException(`No decision recorded for gate '${stage}' of job ${jobId}`);
    }
  }

  /** A gate of a stage the job has not reached yet (or is running now): approved now, no pause later. */
  private approveInAdvance(jobId: string, stage: Stage, decision: GateDecision, body: GateDecisionDto): void {
    this.events.emit(GateEvents.approved(jobId, stage, decision.by as string, decision.notes, null), () => {
      this.assertUndecided(jobId, stage);
      const job = this.records.job(jobId);
      if (isTerminal(job.status)) throw new ConflictException(`Job ${jobId} is ${job.status}`);
      const isAhead =
        stageIndex(stage) > stageIndex(job.stage) ||
        (stage === job.stage && (job.status === 'queued' || job.status === 'running'));
      if (!isAhead)
        throw new ConflictException(
          `Gate '${stage}' of job ${jobId} is not waiting for a decision: the job is ${job.status} at ${job.stage}`,
        );
      if (body.patch)
        throw new BadRequestException(
          `A patch can only come with the decision on the gate the job waits at; ${stage} has not run yet`,
        );
      this.records.decideGate(jobId, stage, decision);
    });
    this.decisions.write(jobId, stage, decision);
    void this.states.refresh(jobId);
  }

  private assertUndecided(jobId: string, stage: Stage): void {
    const gate = this.records.gate(jobId, stage) as GateRow;
    if (gate.approved !== null) {
      throw new ConflictException(`Gate '${stage}' of job ${jobId} is already ${decisionOf(gate.approved)}`);
    }
  }

  /** The stage named in a request, if the job has a gate for it (404 otherwise, as for an unknown job). */
  gateStage(jobId: string, raw: unknown): Stage {
    this.records.job(jobId);
    if (!isStage(raw) || !this.records.gate(jobId, raw)) {
      throw new NotFoundException(`Gate '${clip(String(raw))}' not found for job ${jobId}`);
    }
    return raw;
  }
}
