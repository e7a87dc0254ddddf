import { Injectable } from '@nestjs/common';
import { nextStage } from '../domain/stages';
import { GateEvents, JobEvents } from '../domain/event-catalog';
import { EventLogger } from '../events/event-logger.service';
import { GateDecision, JobRecords } from '../jobs/job-records';
import { DEFAULT_OPERATOR } from '../jobs/jobs.service';
import { StateFiles } from '../jobs/state-files';
import { ArtifactRegistry } from '../orchestrator/artifact-registry';
import { DecisionFiles } from '../orchestrator/decision-files';
import { PatchService } from './patch.service';

export interface ResumeResult {
  message: string;
  patches_applied: number;
}

/**
 * resume of a paused (rejected) job (SPEC §8): with the rejection's patch, the patch is applied, the
 * gate recorded approved by "<operator> (patch applied)" and the job goes on with the next stage;
 * without one, the rejected stage runs again and its gate waits for a new decision.
 */
@Injectable()
export class ResumeService {
  constructor(
    private readonly records: JobRecords,
    private readonly events: EventLogger,
    private readonly patches: PatchService,
    private readonly artifacts: ArtifactRegistry,
    private readonly decisions: DecisionFiles,
    private readonly states: StateFiles,
  ) {}

  resume(jobId: string, operator = DEFAULT_OPERATOR): ResumeResult {
    const job = this.records.assertStatus(jobId, ['paused'], 'resumed');
    const stage = job.stage;
    const gate = this.records.gate(jobId, stage);
    const patch = gate?.patch ? (JSON.parse(gate.patch) as Record<string, unknown>) : null;
    const now = new Date().toISOString();
    if (!patch) {
      const pending: GateDecision = {
        approved: null,
        by: null,
        at: null,
        notes: null,
        patch: null,
        autoApproved: false,
      };
      this.events.emit(JobEvents.resumed(jobId, stage), () => {
        this.records.transition(jobId, ['paused'], 'queued', now, { stage });
        this.records.decideGate(jobId, stage, pending);
      });
      void this.states.refresh(jobId);
      return { message: 'Job resumed successfully', patches_applied: 0 };
    }
    // The file changes first: a patch that no longer applies is a 400 and the job stays paused.
    const applied = this.patches.apply(jobId, stage, patch);
    const next = nextStage(stage);
    this.events.emit(JobEvents.resumed(jobId, stage), () =>
      this.records.transition(jobId, ['paused'], next ? 'queued' : 'running', now, { stage: next ?? stage }),
    );
    const decision: GateDecision = {
      approved: true,
      by: `${operator} (patch applied)`,
      at: now,
      notes: gate?.notes ?? null,
      patch: applied.patch,
      autoApproved: false,
    };
    this.events.emit(GateEvents.patchApplied(jobId, stage, operator, applied.patch, false), () => {
      this.records.decideGate(jobId, stage, decision);
      this.artifacts.refresh(jobId, stage, applied.path);
    });
    this.decisions.write(jobId, stage, decision);
    if (!next) {
      this.events.emit(JobEvents.completed(jobId, stage), () =>
        this.records.transition(jobId, ['running'], 'completed', now),
      );
    }
    void this.states.refresh(jobId);
    return { message: 'Job resumed successfully', patches_applied: 1 };
  }
}
