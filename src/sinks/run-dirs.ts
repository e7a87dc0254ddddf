import { rmSync } from 'node:fs';
import { Injectable, Logger } from '@nestjs/common';
import { RunPaths } from '../config/run-paths';
import { JsonlWriter } from './jsonl-writer';
import { StateFiles } from './state-files';

/** Removes a deleted job's runs/<id>/ after its deletion committed, once no writer of it is still busy. */
@Injectable()
export class RunDirs {
  private readonly logger = new Logger('jobs');
  private readonly removing = new Set<Promise<void>>();

  constructor(
    private readonly paths: RunPaths,
    private readonly jsonl: JsonlWriter,
    private readonly states: StateFiles,
  ) {}

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
