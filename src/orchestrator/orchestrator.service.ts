import { whenListening } from '../common/when-listening';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { EventBus, Unsubscribe } from '../bus/bus.port';
import { OperatorConfig } from '../config/operator-config';
import { ConflictError } from '../domain/errors';
import { EventType } from '../domain/events';
import { JobLifecycle } from '../lifecycle/job-lifecycle.service';
import { Store } from '../store/store.port';
import { AbortReason, StageLoop } from './stage-loop';
import { StoreBackoff } from './store-backoff';

/** Events after which a queued job may be able to start. */
const QUEUE_EVENTS: ReadonlySet<EventType> = new Set([
  'job_created',
  'gate_approved',
  'gate_auto_approved',
  'job_resumed',
  'patch_applied',
]);

/**
 * The FIFO queue: queued jobs are claimed in creation order while fewer than
 * pipeline.max_concurrent_jobs run here. A job waiting at a gate holds no slot. The queue is the jobs
 * table itself (status `queued`, ordered by seq), so a restart loses nothing.
 */
@Injectable()
export class OrchestratorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('orchestrator');
  private readonly running = new Map<
    string,
    { controller: AbortController; done: Promise<void>; claimedAtId: number }
  >();
  private unsubscribe?: Unsubscribe;
  private leaseTimer?: NodeJS.Timeout;
  private readonly pumpBackoff = new StoreBackoff(this.logger, 'Starting a queued job', 100, 5_000);
  private pumpPausedUntil = 0;
  private isPumpScheduled = false;
  private isPumping = false;
  private isStopping = false;
  private hasStarted = false;

  constructor(
    private readonly config: OperatorConfig,
    private readonly store: Store,
    private readonly lifecycle: JobLifecycle,
    private readonly bus: EventBus,
    private readonly loop: StageLoop,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** This instance among the others: the owner named in its leases. */
  get instanceId(): string {
    return this.config.cluster.instance_id;
  }

  /**
   * Nothing is recovered or started before the HTTP port is bound: an instance that cannot listen
   * (the port is taken) must not re-run another instance's jobs on its way out.
   */
  onApplicationBootstrap(): void {
    whenListening(this.adapterHost, () => {
      this.startQueue().catch((error: unknown) => this.logger.error(`Could not start the queue: ${String(error)}`));
    });
  }

  /** True once recovery ran and the queue is taking jobs (the timer sweep waits for it). */
  get isStarted(): boolean {
    return this.hasStarted;
  }

  private async startQueue(): Promise<void> {
    if (this.isStopping) return;
    await this.recoverInterruptedJobs();
    if (this.isStopping) return;
    // Reacting after the publish keeps every subscriber's view in id order (no command inside a delivery).
    this.unsubscribe = this.bus.subscribe(0, {
      next: ({ event }) => {
        if (event.type === 'job_canceled') this.abort(event.job_id, 'canceled');
        // Another instance took over this run (this one looked dead to it): stop it here. A takeover
        // older than the run is of the run before, which this instance may have claimed since.
        else if (event.type === 'job_resumed' && event.payload.reason === 'takeover') {
          if (event.id > (this.running.get(event.job_id)?.claimedAtId ?? Infinity)) {
            this.abort(event.job_id, 'lease_lost');
          }
        }
        if (QUEUE_EVENTS.has(event.type)) this.schedulePump();
      },
    });
    this.leaseTimer = setInterval(() => this.renewLeases(), (this.config.cluster.lease_seconds * 1000) / 3);
    this.leaseTimer.unref();
    this.hasStarted = true;
    this.schedulePump();
  }

  /** Before the store closes: running stages stop (a restart re-runs them). */
  async beforeApplicationShutdown(): Promise<void> {
    this.isStopping = true;
    this.hasStarted = false;
    this.unsubscribe?.();
    clearInterval(this.leaseTimer);
    const pending = [...this.running.values()].map((run) => run.done);
    for (const jobId of this.running.keys()) this.abort(jobId, 'shutdown');
    await Promise.all(pending);
  }

  get runningJobIds(): string[] {
    return [...this.running.keys()];
  }

  /** Stops a running job's stage (its runner kills its processes). No-op if the job is not running here. */
  abort(jobId: string, reason: AbortReason): void {
    this.running.get(jobId)?.controller.abort(reason);
  }

  schedulePump(): void {
    if (this.isPumpScheduled || this.isStopping || !this.hasStarted) return;
    this.isPumpScheduled = true;
    setImmediate(() => {
      this.isPumpScheduled = false;
      void this.pump();
    });
  }

  /** Claims queued jobs, oldest first, into the free slots; backs off while the store refuses. */
  async pump(): Promise<void> {
    if (this.isPumping) return this.schedulePump();
    if (Date.now() < this.pumpPausedUntil) return;
    this.isPumping = true;
    try {
      while (!this.isStopping && this.running.size < this.config.pipeline.max_concurrent_jobs) {
        const claimed = await this.lifecycle.claimNext(this.instanceId, this.runningJobIds);
        this.pumpBackoff.succeeded();
        if (!claimed || this.isStopping) break;
        this.start(claimed.jobId, claimed.claimedAtId, (signal) => this.loop.run(claimed, signal));
      }
    } catch (error) {
      // Nothing was claimed (the unit rolled back): try again later, not on every tick.
      const pauseMs = this.pumpBackoff.failed(error);
      this.pumpPausedUntil = Date.now() + pauseMs;
      setTimeout(() => this.schedulePump(), pauseMs).unref();
    } finally {
      this.isPumping = false;
    }
  }

  private start(jobId: string, claimedAtId: number, run: (signal: AbortSignal) => Promise<void>): void {
    const controller = new AbortController();
    const entry = { controller, done: Promise.resolve(), claimedAtId };
    this.running.set(jobId, entry);
    entry.done = run(controller.signal)
      .catch((error: unknown) => {
        this.logger.error(`Job ${jobId} | stage loop crashed: ${error instanceof Error ? error.stack : String(error)}`);
      })
      .then(() => this.lifecycle.releaseLease(this.instanceId, jobId))
      .catch(() => undefined)
      .finally(() => {
        this.running.delete(jobId);
        this.schedulePump();
      });
  }

  /** A job whose lease another instance now holds stops here at once (it runs there). */
  private renewLeases(): void {
    const jobIds = this.runningJobIds;
    if (jobIds.length === 0) return;
    this.lifecycle.renewLeases(this.instanceId, jobIds).then(
      (held) => {
        for (const jobId of jobIds.filter((id) => !held.includes(id))) {
          this.logger.warn(`Job ${jobId} | its lease was taken over by another instance; stopping it here`);
          this.abort(jobId, 'lease_lost');
        }
      },
      (error: unknown) => {
        this.logger.error(`Could not renew job leases: ${error instanceof Error ? error.message : String(error)}`);
      },
    );
  }

  /** After a crash: `running` jobs re-run their interrupted stage; `queued` ones simply wait their turn. */
  private async recoverInterruptedJobs(): Promise<void> {
    for (const jobId of await this.store.jobIdsWithStatus('running')) {
      try {
        const stage = await this.lifecycle.recover(jobId, 'restart', this.instanceId);
        this.logger.warn(`Job ${jobId} | was running ${stage} when the service stopped; re-running that stage`);
      } catch (error) {
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }
}
