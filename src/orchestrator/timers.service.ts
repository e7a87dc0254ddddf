import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { ConflictError } from '../domain/errors';
import { GateLifecycle } from '../lifecycle/gate-lifecycle.service';
import { JobLifecycle } from '../lifecycle/job-lifecycle.service';
import { Store } from '../store/store.port';
import { OrchestratorService } from './orchestrator.service';

/** How often stored deadlines are checked: an auto-approval lands well within 1 s of its deadline. */
export const SWEEP_INTERVAL_MS = 250;

/**
 * Deadlines live in the store (gates.auto_approve_at, jobs.deadline_at), so a restart neither
 * loses nor doubles a timer: this sweep acts on whatever is due, once, through the same lifecycle
 * commands (and status checks) as an operator's request.
 */
@Injectable()
export class TimersService {
  private readonly logger = new Logger('gate');
  private isSweeping = false;

  constructor(
    private readonly store: Store,
    private readonly gates: GateLifecycle,
    private readonly jobs: JobLifecycle,
    private readonly orchestrator: OrchestratorService,
  ) {}

  @Interval(SWEEP_INTERVAL_MS)
  async sweep(): Promise<void> {
    if (this.isSweeping || !this.orchestrator.isStarted) return;
    this.isSweeping = true;
    try {
      const now = new Date().toISOString();
      for (const { jobId, stage } of await this.store.dueGates(now)) {
        await this.attempt(() => this.gates.autoApprove(jobId, stage));
      }
      for (const jobId of await this.store.overdueJobIds(now)) {
        // A job running here stops its stage; the stage loop then records stage_failed and job_failed.
        if (this.orchestrator.runningJobIds.includes(jobId)) this.orchestrator.abort(jobId, 'job_timeout');
        else await this.attempt(() => this.jobs.fail(jobId, 'job timed out'));
      }
    } catch (error) {
      this.logger.error(`Timer sweep failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.isSweeping = false;
    }
    this.orchestrator.schedulePump();
  }

  private async attempt(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      // A conflict means an operator (or the job itself) got there first: nothing left to do.
      if (!(error instanceof ConflictError)) {
        this.logger.error(`Timer action failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}
