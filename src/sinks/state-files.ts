import { Injectable, Logger } from '@nestjs/common';
import { writeJsonAtomicAsync } from '../common/atomic-write';
import { OperatorConfig } from '../config/operator-config';
import { RunPaths } from '../config/run-paths';
import { Store } from '../store/store.port';
import { toJobView, toStateFile } from '../jobs/job.views';

/** A refresh that has not started yet; `hurry` starts it without waiting for the rest of its interval. */
interface Waiting {
  done: Promise<void>;
  hurry: () => void;
}

/**
 * The one writer of runs/<id>/state.json, rewritten atomically after a committed change of the job,
 * off the event loop. Refreshes of one job run one after another, each reading the database when
 * its turn comes, so the last write always holds the latest state; a refresh asked for while another
 * is still waiting its turn is served by that one.
 *
 * A write starts `storage.state_file_interval_ms` after the first refresh it serves, and two writes
 * of one job at least that far apart, so a job whose transitions come in a burst (a stage that ends,
 * the next that starts, a whole job of `stage_seconds: 0`) gets one write for the burst instead of
 * one per transition: each write is a new file, and on some disks a new file is the costliest thing
 * a job does (docs/PERFORMANCE.md, "state.json once per interval"). A write that waits for its
 * interval is hurried by an action that waits for it (`written`), and by shutdown and deletions
 * (`settled`).
 */
@Injectable()
export class StateFiles {
  private readonly logger = new Logger('orchestrator');
  private readonly intervalMs: number;
  private readonly running = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, Waiting>();
  /** When each job's last write started (performance.now()); dropped once an interval has passed. */
  private readonly lastStarted = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly paths: RunPaths,
    config: OperatorConfig,
  ) {
    this.intervalMs = config.storage.state_file_interval_ms;
  }

  refresh(jobId: string): Promise<void> {
    const waiting = this.waiting.get(jobId);
    if (waiting) return waiting.done;
    const previous = this.running.get(jobId) ?? Promise.resolve();
    let hurry!: () => void;
    const due = new Promise<void>((resolve) => (hurry = resolve));
    // The interval runs from the last write, or from this refresh when there was none within it.
    const wait = (this.lastStarted.get(jobId) ?? performance.now()) + this.intervalMs - performance.now();
    const timer = wait > 0 ? setTimeout(hurry, wait) : null;
    if (!timer) hurry();
    const done = Promise.all([previous, due]).then(async () => {
      if (timer) clearTimeout(timer);
      this.waiting.delete(jobId);
      this.running.set(jobId, done);
      this.started(jobId);
      try {
        await this.write(jobId);
      } catch (error) {
        this.logger.error(
          `Job ${jobId} | state.json not written: ${error instanceof Error ? error.message : String(error)}`,
        );
      } finally {
        if (this.running.get(jobId) === done) this.running.delete(jobId);
      }
    });
    this.waiting.set(jobId, { done, hurry });
    return done;
  }

  /**
   * Resolves once the job's state.json holds every change committed before the call: an action's
   * HTTP answer waits for it, so a client that reads the file after the answer sees its change.
   */
  written(jobId: string): Promise<void> {
    const waiting = this.waiting.get(jobId);
    waiting?.hurry();
    return waiting?.done ?? this.running.get(jobId) ?? Promise.resolve();
  }

  /** Resolves once every pending refresh has been written (shutdown, tests, deletions), hurrying them. */
  async settled(): Promise<void> {
    while (this.running.size + this.waiting.size > 0) {
      for (const waiting of this.waiting.values()) waiting.hurry();
      await Promise.all([...this.running.values(), ...[...this.waiting.values()].map((waiting) => waiting.done)]);
    }
  }

  private started(jobId: string): void {
    if (this.intervalMs === 0) return;
    const at = performance.now();
    this.lastStarted.set(jobId, at);
    setTimeout(() => this.lastStarted.get(jobId) === at && this.lastStarted.delete(jobId), this.intervalMs).unref();
  }

  private async write(jobId: string): Promise<void> {
    const job = await this.store.job(jobId);
    if (job) await writeJsonAtomicAsync(this.paths.stateFile(jobId), toStateFile(toJobView(job)));
  }
}
