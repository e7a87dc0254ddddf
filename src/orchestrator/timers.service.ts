import { Injectable, Logger } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { OperatorConfig } from '../config/operator-config';
import { ConflictError, StoreUnavailable } from '../domain/errors';
import { GateLifecycle } from '../lifecycle/gate-lifecycle.service';
import { JobLifecycle } from '../lifecycle/job-lifecycle.service';
import { Store } from '../store/store.port';
import { OrchestratorService } from './orchestrator.service';
import { StoreBackoff } from './store-backoff';

/** How often stored deadlines are checked: an auto-approval lands well within 1 s of its deadline. */
export const SWEEP_INTERVAL_MS = 250;
/** How often running jobs are checked for a lease nobody renews (at most; more often with a shorter lease). */
const STRANDED_CHECK_MS = 5_000;

/**
 * Deadlines live in the store (gates.auto_approve_at, jobs.deadline_at), so a restart neither
 * loses nor doubles a timer: this sweep acts on whatever is due, once, through the same lifecycle
 * commands (and status checks) as an operator's request.
 */
@Injectable()
export class TimersService {
  private readonly logger = new Logger('gate');
  private readonly backoff = new StoreBackoff(this.logger, 'The timer sweep', 100, 5_000);
  private isSweeping = false;
  private nextStrandedCheck = 0;
  private pausedUntil = 0;

  constructor(
    private readonly config: OperatorConfig,
    private readonly store: Store,
    private readonly gates: GateLifecycle,
    private readonly jobs: JobLifecycle,
    private readonly orchestrator: OrchestratorService,
  ) {}

  @Interval(SWEEP_INTERVAL_MS)
  async sweep(): Promise<void> {
    if (this.isSweeping || !this.orchestrator.isStarted || Date.now() < this.pausedUntil) return;
    this.isSweeping = true;
    try {
      const now = new Date().toISOString();
      if (Date.now() >= this.nextStrandedCheck) {
        this.nextStrandedCheck = Date.now() + Math.min(STRANDED_CHECK_MS, this.config.cluster.lease_seconds * 1000);
        await this.resumeStranded(now);
      }
      for (const { jobId, stage } of await this.store.dueGates(now)) {
        await this.attempt(() => this.gates.autoApprove(jobId, stage));
      }
      for (const jobId of await this.store.overdueJobIds(now, this.orchestrator.instanceId)) {
        // A job running here stops its stage; the stage loop then records stage_failed and job_failed.
        if (this.orchestrator.runningJobIds.includes(jobId)) this.orchestrator.abort(jobId, 'job_timeout');
        else await this.attempt(() => this.jobs.fail(jobId, 'job timed out'));
      }
      this.backoff.succeeded();
    } catch (error) {
      this.pausedUntil = Date.now() + this.backoff.failed(error);
    } finally {
      this.isSweeping = false;
    }
    this.orchestrator.schedulePump();
  }

  /**
   * A running job whose lease nobody renews has lost its stage loop (a write that failed for good, a
   * crash of the loop): back to the queue, where it re-runs its stage (`job_resumed`, reason takeover).
   */
  private async resumeStranded(now: string): Promise<void> {
    for (const jobId of await this.store.expiredLeases(now)) {
      if (this.orchestrator.runningJobIds.includes(jobId)) continue;
      this.logger.warn(`Job ${jobId} | running, but no stage loop holds it; re-running its stage`);
      await this.attempt(async () => void (await this.jobs.recover(jobId, 'takeover', this.orchestrator.instanceId)));
    }
  }

  private async attempt(action: () => Promise<void>): Promise<void> {
    try {
      await action();
    } catch (error) {
      // A conflict means an operator (or the job itself) got there first: nothing left to do.
      if (error instanceof ConflictError) return;
      // The store refusing ends this sweep; the next one waits (logged once, in sweep()).
      if (error instanceof StoreUnavailable) throw error;
      this.logger.error(`Timer action failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
