import { ConflictException, Injectable } from '@nestjs/common';
import { Stage } from '../domain/stages';
import { nextStage } from '../domain/stages';
import { EventInput } from '../domain/events';
import { JobEvents } from '../domain/event-catalog';
import { EventLogger } from '../events/event-logger.service';
import { GateDecision, JobRecords } from '../jobs/job-records';
import { StateFiles } from '../jobs/state-files';
import { DecisionFiles } from './decision-files';

/**
 * What happens when the gate a job waits at is approved (by an operator or the timer): the decision
 * and the job's move to the next stage commit with the approval event; after the last stage the job
 * completes. The orchestrator's queue then gives the job a slot again.
 */
@Injectable()
export class GateProgression {
  constructor(
    private readonly records: JobRecords,
    private readonly events: EventLogger,
    private readonly decisions: DecisionFiles,
    private readonly states: StateFiles,
  ) {}

  /** `afterDecision` runs right after the approval event (e.g. a patch applied with it), before completion. */
  approveWaitingGate(
    jobId: string,
    stage: Stage,
    decision: GateDecision,
    event: EventInput,
    afterDecision?: () => void,
  ): void {
    const next = nextStage(stage);
    const now = decision.at ?? new Date().toISOString();
    this.events.emit(event, () => {
      this.assertWaitingAt(jobId, stage, ['needs_approval']);
      this.records.decideGate(jobId, stage, decision);
      if (next) this.records.transition(jobId, ['needs_approval'], 'queued', now, { stage: next });
    });
    this.decisions.write(jobId, stage, decision);
    afterDecision?.();
    if (!next) {
      this.events.emit(JobEvents.completed(jobId, stage), () =>
        this.records.transition(jobId, ['needs_approval'], 'completed', now),
      );
    }
    void this.states.refresh(jobId);
  }

  /** 409 unless the job waits (in one of `statuses`) at this stage's gate. */
  assertWaitingAt(jobId: string, stage: Stage, statuses: readonly ('needs_approval' | 'paused')[]): void {
    const job = this.records.job(jobId);
    if (!statuses.includes(job.status as 'needs_approval' | 'paused') || job.stage !== stage) {
      throw new ConflictException(
        `Gate '${stage}' of job ${jobId} is not waiting for a decision (job is ${job.status} at ${job.stage})`,
      );
    }
  }
}
