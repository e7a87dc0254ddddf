import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ConflictException } from '@nestjs/common';
import { GateEvents, JobEvents } from '../domain/event-catalog';
import { EventLogger } from '../events/event-logger.service';
import { ACTIVE_STATUSES, JobRecords } from '../jobs/job-records';
import { StateFiles } from '../jobs/state-files';
import { GateProgression } from './gate-progression';
import { OrchestratorService } from './orchestrator.service';

/** How often stored deadlines are checked: an auto-approval lands well within 1 s of its deadline. */
export const SWEEP_INTERVAL_MS = 250;

/**
 * Deadlines live in the database (gates.auto_approve_at, jobs.deadline_at), so a restart neither
 * loses nor doubles a timer: this sweep acts on whatever is due, once, under the same status checks
 * as an operator's request.
 */
@Injectable()
export class TimersService {
  private readonly logger = new Logger('gate');

  constructor(
    private readonly records: JobRecords,
    private readonly events: EventLogger,
    private readonly progression: GateProgression,
    private readonly orchestrator: OrchestratorService,
    private readonly states: StateFiles,
  ) {}

  @Interval(SWEEP_INTERVAL_MS)
  sweep(): void {
    const now = new Date().toISOString();
    for (const { job_id: jobId, stage } of this.records.dueGates(now)) {
      this.attempt(() =>
        this.progression.approveWaitingGate(
          jobId,
          stage,
          { approved: true, by: 'timer', at: now, notes: null, patch: null, autoApproved: true },
          GateEvents.autoApproved(jobId, stage, 'timeout'),
        ),
      );
    }
    for (const jobId of this.records.overdueJobIds(now)) {
      if (this.orchestrator.runningJobIds.includes(jobId)) {
        // The stage loop records stage_failed and job_failed as it stops.
        this.orchestrator.abort(jobId, 'job_timeout');
        continue;
      }
      this.attempt(() => {
        this.events.emit(JobEvents.failed(jobId, 'job timed out'), () =>
          this.records.transition(
            jobId,
            ACTIVE_STATUSES.filter((s) => s !== 'running'),
            'failed',
            now,
          ),
        );
        void this.states.refresh(jobId);
      });
    }
    this.orchestrator.pump();
  }

  private attempt(action: () => void): void {
    try {
      action();
    } catch (error) {
      // A conflict means an operator (or the job itself) got there first: nothing left to do.
      if (!(error instanceof ConflictException)) {
        this.logger.error(`Timer action failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
