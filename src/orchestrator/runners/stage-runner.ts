import { Stage } from '../../domain/stages';

/** What a runner gets for one stage of one job. */
export interface StageContext {
  jobId: string;
  slug: string;
  stage: Stage;
  /** runs/<job_id> (absolute). */
  runDir: string;
  /** runs/<job_id>/<storage.artifacts_dir> (absolute); exists before run() is called. */
  artifactsDir: string;
  /** The compiled brief of the job (compiled_brief.json). */
  brief: Record<string, unknown>;
  /** Aborted when the job is canceled or the stage times out; the runner must stop promptly (kill its processes). */
  signal: AbortSignal;
  /** Reports one line of output; the caller turns it into a `stage_log` event. */
  log: (stream: 'stdout' | 'stderr', line: string) => void;
}

export interface StageResult {
  /** Files the stage wrote or changed, relative to runDir (e.g. "artifacts/script.md"), in a stable order. */
  artifacts: string[];
  /** A small summary for `stage_completed`'s `result`. */
  result: Record<string, unknown>;
}

/** A stage that failed: the message becomes `stage_failed`'s `error`. */
export class StageFailure extends Error {}

/** Thrown (or rejected with) when the context's signal aborted the stage. */
export class StageAborted extends Error {
  constructor(readonly reason: string) {
    super(`Stage aborted: ${reason}`);
  }
}

/** Runs one stage (pipeline.runner: simulate | command). */
export interface StageRunner {
  run(context: StageContext): Promise<StageResult>;
}
