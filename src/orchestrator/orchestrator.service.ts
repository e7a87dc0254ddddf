import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OperatorConfig } from '../config/operator-config';
import { JobEvents } from '../domain/event-catalog';
import { EventBus, Unsubscribe } from '../bus/bus.port';
import { EventLogger } from '../events/event-logger.service';
import { EventType } from '../domain/events';
import { JobRecords } from '../jobs/job-records';
import { StateFiles } from '../jobs/state-files';
import { AbortReason, StageLoop } from './stage-loop';

/** Events after which a queued job may be able to start. */
const QUEUE_EVENTS: ReadonlySet<EventType> = new Set([
  'job_created',
  'gate_approved',
  'gate_auto_approved',
  'job_resumed',
  'patch_applied',
]);

/**
 * The FIFO queue: queued jobs start in creation order while fewer than pipeline.max_concurrent_jobs
 * run. A job waiting at a gate holds no slot. The queue is the jobs table itself (status `queued`,
 * ordered by seq), so a restart loses nothing.
 */
@Injectable()
export class OrchestratorService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('orchestrator');
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private unsubscribe?: Unsubscribe;
  private isPumpScheduled = false;
  private isStopping = false;

  constructor(
    private readonly config: OperatorConfig,
    private readonly records: JobRecords,
    private readonly events: EventLogger,
    private readonly bus: EventBus,
    private readonly loop: StageLoop,
    private readonly states: StateFiles,
  ) {}

  onApplicationBootstrap(): void {
    this.recoverInterruptedJobs();
    // Reacting later than the publish keeps every subscriber's view in id order (no emit inside an emit).
    this.unsubscribe = this.bus.subscribe(0, {
      next: ({ event }) => {
        if (event.type === 'job_canceled') this.abort(event.job_id, 'canceled');
        else if (QUEUE_EVENTS.has(event.type)) this.schedulePump();
      },
    });
    this.schedulePump();
  }

  /** Before the database closes: running stages stop (a restart re-runs them) and state files are written. */
  async beforeApplicationShutdown(): Promise<void> {
    this.isStopping = true;
    this.unsubscribe?.();
    const pending = [...this.running.values()].map((run) => run.done);
    for (const jobId of this.running.keys()) this.abort(jobId, 'shutdown');
    await Promise.all(pending);
    await this.states.settled();
  }

  get runningJobIds(): string[] {
    return [...this.running.keys()];
  }

  /** Stops a running job's stage (its runner kills its processes). No-op if the job is not running here. */
  abort(jobId: string, reason: AbortReason): void {
    this.running.get(jobId)?.controller.abort(reason);
  }

  schedulePump(): void {
    if (this.isPumpScheduled || this.isStopping) return;
    this.isPumpScheduled = true;
    setImmediate(() => {
      this.isPumpScheduled = false;
      this.pump();
    });
  }

  /** Starts queued jobs, oldest first, into the free slots. */
  pump(): void {
    if (this.isStopping) return;
    const free = this.config.pipeline.max_concurrent_jobs - this.running.size;
    if (free <= 0) return;
    for (const jobId of this.records.queuedJobIds(free + this.running.size)) {
      if (this.running.size >= this.config.pipeline.max_concurrent_jobs) break;
      if (!this.running.has(jobId)) this.start(jobId);
    }
  }

  private start(jobId: string): void {
    const controller = new AbortController();
    const run = { controller, done: Promise.resolve() };
    this.running.set(jobId, run);
    run.done = this.loop
      .run(jobId, controller.signal)
      .catch((error: unknown) => {
        this.logger.error(`Job ${jobId} | stage loop crashed: ${error instanceof Error ? error.stack : String(error)}`);
      })
      .finally(() => {
        this.running.delete(jobId);
        this.schedulePump();
      });
  }

  /** After a crash: `running` jobs re-run their interrupted stage; `queued` ones simply wait their turn. */
  private recoverInterruptedJobs(): void {
    for (const jobId of this.records.jobIdsWithStatus('running')) {
      const { stage } = this.records.job(jobId);
      this.logger.warn(`Job ${jobId} | was running ${stage} when the service stopped; re-running that stage`);
      this.events.emit(JobEvents.resumed(jobId, stage, 'restart'), () =>
        this.records.transition(jobId, ['running'], 'queued', new Date().toISOString()),
      );
      void this.states.refresh(jobId);
    }
  }
}
