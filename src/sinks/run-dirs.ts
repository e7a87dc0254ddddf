import { rmSync } from 'node:fs';
import { Injectable, Logger } from '@nestjs/common';
import { writeJsonAtomicAsync } from '../common/atomic-write';
import { makeDirOffLoop } from '../common/file-thread';
import { RunPaths } from '../config/run-paths';
import { StoreUnavailable } from '../domain/errors';
import { JobFiles } from '../domain/job-files.port';
import { JsonlWriter } from './jsonl-writer';
import { StateFiles } from './state-files';

/**
 * A job's runs/<id>/: made with its brief and an empty events.jsonl before the job's first commit,
 * off the event loop; removed after its deletion committed, once no writer of it is still busy.
 */
@Injectable()
export class RunDirs implements JobFiles {
  private readonly logger = new Logger('jobs');
  private readonly removing = new Set<Promise<void>>();

  constructor(
    private readonly paths: RunPaths,
    private readonly jsonl: JsonlWriter,
    private readonly states: StateFiles,
  ) {}

  /**
   * runs/<id>/ with compiled_brief.json and an empty events.jsonl, for a job about to be created. A
   * runs dir that cannot take them refuses the job: 503 (507 for a full disk), nothing stored.
   */
  async create(jobId: string, brief: Record<string, unknown>): Promise<void> {
    try {
      // Asked for together, the three go to the file thread as one message and run in this order.
      const files = await Promise.allSettled([
        makeDirOffLoop(this.paths.jobDir(jobId)),
        writeJsonAtomicAsync(this.paths.briefFile(jobId), brief, false),
        this.jsonl.start(jobId),
      ]);
      const failed = files.find((file) => file.status === 'rejected');
      if (failed) {
        // The job will not be created: its events.jsonl is not kept open.
        await this.jsonl.forget(jobId);
        throw failed.reason;
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC') throw error;
      this.logger.error(`Job ${jobId} | not created: its run dir could not be made (${code ?? String(error)})`);
      throw new StoreUnavailable(`The runs dir cannot take a new job right now (${code ?? 'error'})`, 30);
    }
  }

  written(jobId: string): Promise<void> {
    return this.states.written(jobId);
  }

  remove(jobId: string): void {
    const done = this.removeWhenIdle(jobId).finally(() => this.removing.delete(done));
    this.removing.add(done);
  }

  /** Resolves once every removal under way has finished (shutdown, tests). */
  async settled(): Promise<void> {
    while (this.removing.size > 0) await Promise.all([...this.removing]);
  }

  private async removeWhenIdle(jobId: string): Promise<void> {
    try {
      await Promise.all([this.jsonl.forget(jobId), this.states.settled()]);
      rmSync(this.paths.jobDir(jobId), { recursive: true, force: true });
    } catch (error) {
      this.logger.error(
        `Job ${jobId} | run dir not removed: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
