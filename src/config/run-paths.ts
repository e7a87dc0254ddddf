import { join } from 'node:path';
import { Stage } from '../domain/stages';

/** Where a job's files live: runs/<job_id>/… (docs/OPERATIONS.md, "Files on disk"). Job ids are validated UUIDs before they get here. */
export class RunPaths {
  constructor(
    readonly runsDir: string,
    private readonly artifactsDirName: string,
  ) {}

  jobDir(jobId: string): string {
    return join(this.runsDir, jobId);
  }

  eventsFile(jobId: string): string {
    return join(this.runsDir, jobId, 'events.jsonl');
  }

  stateFile(jobId: string): string {
    return join(this.runsDir, jobId, 'state.json');
  }

  briefFile(jobId: string): string {
    return join(this.runsDir, jobId, 'compiled_brief.json');
  }

  gatesDir(jobId: string): string {
    return join(this.runsDir, jobId, 'gates');
  }

  gateDecisionFile(jobId: string, stage: Stage): string {
    return join(this.runsDir, jobId, 'gates', `${stage}.json`);
  }

  artifactsDir(jobId: string): string {
    return join(this.runsDir, jobId, this.artifactsDirName);
  }
}
