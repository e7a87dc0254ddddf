import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { RunPaths } from '../config/run-paths';
import { InvalidInputError, NotFoundError } from '../domain/errors';
import { JobFiles } from '../domain/job-files.port';
import { Stage } from '../domain/stages';
import { AppliedPatch, GateLifecycle, decisionOf } from '../lifecycle/gate-lifecycle.service';
import { DEFAULT_OPERATOR, JobsService } from '../jobs/jobs.service';
import { GateDecisionDto } from './dto/gate-decision.dto';
import { PatchService } from './patch.service';

export interface ResumeResult {
  message: string;
  patches_applied: number;
}

/**
 * The gate routes (docs/API.md, "Gates"): requests checked and handed to the lifecycle, views read
 * back. A decision is answered once the job's state.json shows it.
 */
@Injectable()
export class GatesService {
  constructor(
    private readonly lifecycle: GateLifecycle,
    private readonly patches: PatchService,
    private readonly jobs: JobsService,
    private readonly paths: RunPaths,
    private readonly files: JobFiles,
  ) {}

  async approve(jobId: string, body: GateDecisionDto): Promise<{ message: string }> {
    if (body.decision !== undefined && body.decision !== 'approved') {
      throw new InvalidInputError(`decision must be "approved" on approve (use reject to reject)`);
    }
    const stage = await this.gateStage(jobId, body.stage);
    const request = { operator: body.operator ?? DEFAULT_OPERATOR, notes: body.notes ?? null, patch: body.patch };
    await this.lifecycle.approve(jobId, stage, request, this.patches.applierFor(jobId));
    await this.files.written(jobId);
    return { message: `Gate ${stage} approved successfully` };
  }

  async reject(jobId: string, body: GateDecisionDto): Promise<{ message: string }> {
    if (body.decision !== undefined && body.decision !== 'rejected') {
      throw new InvalidInputError(`decision must be "rejected" on reject (use approve to approve)`);
    }
    const stage = await this.gateStage(jobId, body.stage);
    const patch = body.patch ? this.patches.validate(body.patch, stage) : null;
    await this.lifecycle.reject(jobId, stage, {
      operator: body.operator ?? DEFAULT_OPERATOR,
      notes: body.notes ?? null,
      patch,
    });
    await this.files.written(jobId);
    return { message: `Gate ${stage} rejected successfully` };
  }

  async resume(jobId: string, operator = DEFAULT_OPERATOR): Promise<ResumeResult> {
    const applied = await this.lifecycle.resume(jobId, operator, this.patches.applierFor(jobId));
    await this.files.written(jobId);
    return { message: 'Job resumed successfully', patches_applied: applied };
  }

  /** Applies a patch to the stage's artifact now, in any job status, and emits patch_applied_direct. */
  async applyDirect(
    jobId: string,
    rawStage: string,
    operator: string,
    rawPatch: unknown,
  ): Promise<{ stage: Stage; applied: AppliedPatch }> {
    const stage = await this.gateStage(jobId, rawStage);
    const applied = await this.lifecycle.applyDirect(jobId, stage, operator, rawPatch, this.patches.applierFor(jobId));
    await this.files.written(jobId);
    return { stage, applied };
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

  async decisionFile(jobId: string, rawStage: string): Promise<unknown> {
    const stage = await this.gateStage(jobId, rawStage);
    try {
      return JSON.parse(readFileSync(this.paths.gateDecisionFile(jobId, stage), 'utf8'));
    } catch {
      throw new NotFoundError(`No decision recorded for gate '${stage}' of job ${jobId}`);
    }
  }

  /** The stage named in a request, if the job has a gate for it (404 otherwise, as for an unknown job). */
  private async gateStage(jobId: string, raw: unknown): Promise<Stage> {
    const { gate } = await this.lifecycle.gateOf(jobId, raw);
    return gate.stage;
  }
}
