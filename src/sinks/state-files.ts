import { Injectable, Logger } from '@nestjs/common';
import { writeJsonAtomicAsync } from '../common/atomic-write';
import { RunPaths } from '../config/run-paths';
import { Store } from '../store/store.port';
import { toJobView, toStateFile } from '../jobs/job.views';

/**
 * The one writer of runs/<id>/state.json, rewritten atomically after a committed change of the job,
 * off the event loop. Refreshes of one job run one after another, each reading the database when
 * its turn comes, so the last write always holds the latest state; a refresh asked for while another
 * is still waiting its turn is served by that one. So a job whose transitions come faster than its
 * file is written gets one write per turn, not one per transition.
 */
@Injectable()
export class StateFiles {
  private readonly logger = new Logger('orchestrator');
  private readonly running = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly paths: RunPaths,
  ) {}

  refresh(jobId: string): Promise<void> {
    const waiting = this.waiting.get(jobId);
    if (waiting) return waiting;
    const previous = this.running.get(jobId) ?? Promise.resolve();
    const next = previous.then(async () => {
      this.waiting.delete(jobId);
      this.running.set(jobId, next);
      try {
        await this.write(jobId);
      } catch (error) {
        this.logger.error(
          `Job ${jobId} | state.json not written: ${error instanceof Error ? error.message : String(error)}`,
        );
      } finally {
        if (this.running.get(jobId) === next) this.running.delete(jobId);
      }
    });
    this.waiting.set(jobId, next);
    return next;
  }

  private async write(jobId: string): Promise<void> {
    const job = await this.store.job(jobId);
    if (job) await writeJsonAtomicAsync(this.paths.stateFile(jobId), toStateFile(toJobView(job)));
  }

  /**
   * Resolves once the job's state.json holds every change committed before the call: an action's
   * HTTP answer waits for it, so a client that reads the file after the answer sees its change.
   */
  written(jobId: string): Promise<void> {
    return this.waiting.get(jobId) ?? this.running.get(jobId) ?? Promise.resolve();
  }

  /** Resolves once every pending refresh has been written (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.running.size + this.waiting.size > 0) {
      await Promise.all([...this.running.values(), ...this.waiting.values()]);
    }
  }
}
