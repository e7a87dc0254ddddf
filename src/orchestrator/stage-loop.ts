import { readFileSync } from 'node:fs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { describeStageArtifact } from '../common/artifact-record';
import { makeDirOffLoop } from '../common/file-thread';
import { OperatorConfig } from '../config/operator-config';
import { RunPaths } from '../config/run-paths';
import { ConflictError, StoreUnavailable } from '../domain/errors';
import { Stage } from '../domain/stages';
import { ClaimedJob, JobLifecycle, StageOutcome } from '../lifecycle/job-lifecycle.service';
import { ArtifactRecord } from '../store/store.port';
import { STAGE_RUNNER } from './runners/runner.provider';
import { StageAborted, StageRunner } from './runners/stage-runner';
import { StageLogWriter } from './stage-log';
import { StoreBackoff, untilStored } from './store-backoff';

/** Why a running job's AbortController fired. */
export type AbortReason = 'canceled' | 'job_timeout' | 'shutdown' | 'lease_lost';

/**
 * Runs a claimed job from its stage until it pauses at a gate, completes, fails or is stopped
 * (docs/OPERATIONS.md, "The job state machine"). Every outcome is a lifecycle command, which checks
 * the job is still running: after a cancel nothing but `job_canceled` follows.
 */
@Injectable()
export class StageLoop {
  private readonly logger = new Logger('orchestrator');
  private readonly backoff = new StoreBackoff(this.logger, 'Recording a stage outcome');

  constructor(
    private readonly config: OperatorConfig,
    private readonly paths: RunPaths,
    private readonly lifecycle: JobLifecycle,
    @Inject(STAGE_RUNNER) private readonly runner: StageRunner,
  ) {}

  async run(job: ClaimedJob, signal: AbortSignal): Promise<void> {
    let stage: Stage | null = job.stage;
    try {
      // Once per run, not per stage: a command writes its files into ARTIFACTS_DIR.
      await makeDirOffLoop(this.paths.artifactsDir(job.jobId));
      // Written once, when the job was created.
      const brief = this.readBrief(job.jobId);
      while (stage !== null) {
        const { result, artifacts } = await this.runStage(job, stage, brief, signal);
        const done: Stage = stage;
        // A store that is locked or full only delays the outcome: the job is never left running without its loop.
        const outcome: StageOutcome = await untilStored(
          () => this.lifecycle.completeStage(job.jobId, done, result, artifacts),
          this.backoff,
          signal,
        );
        stage = outcome.next;
      }
    } catch (error) {
      await this.handleFailure(job.jobId, stage, error, signal);
    }
  }

  /** Runs the runner for one stage (already started); returns its result and the files it wrote. */
  private async runStage(
    job: ClaimedJob,
    stage: Stage,
    brief: Record<string, unknown>,
    jobSignal: AbortSignal,
  ): Promise<{ result: Record<string, unknown>; artifacts: ArtifactRecord[] }> {
    const { jobId } = job;
    const timeoutMinutes = this.config.pipeline.stage_timeouts[stage];
    const stageAbort = timeoutMinutes ? abortAfter(jobSignal, timeoutMinutes * 60_000) : null;
    const stageSignal = stageAbort?.signal ?? jobSignal;
    const artifactsDir = this.paths.artifactsDir(jobId);
    const logs = new StageLogWriter(jobId, stage, this.lifecycle, this.backoff, jobSignal, this.logger);
    const outcome = await this.runner
      .run({
        jobId,
        slug: job.slug,
        stage,
        runDir: this.paths.jobDir(jobId),
        artifactsDir,
        brief,
        signal: stageSignal,
        log: (stream, line) => {
          if (!stageSignal.aborted) logs.write(stream, line);
        },
      })
      .finally(() => stageAbort?.dispose());
    await logs.flushed();
    const artifacts: ArtifactRecord[] = [];
    for (const path of outcome.artifacts)
      artifacts.push(await describeStageArtifact(this.paths.jobDir(jobId), stage, path));
    return { result: outcome.result, artifacts };
  }

  private async handleFailure(
    jobId: string,
    stage: Stage | null,
    error: unknown,
    jobSignal: AbortSignal,
  ): Promise<void> {
    const reason = jobSignal.aborted ? (jobSignal.reason as AbortReason) : null;
    // Canceled, stopped for shutdown (a restart re-runs the stage), taken over by another instance, or
    // already moved on by someone else.
    if (reason === 'canceled' || reason === 'shutdown' || reason === 'lease_lost' || error instanceof ConflictError) {
      return;
    }
    const message =
      reason === 'job_timeout'
        ? `job timed out after ${this.config.pipeline.job_timeout_hours} h`
        : error instanceof StageAborted
          ? `stage timed out after ${stage ? this.config.pipeline.stage_timeouts[stage] : '?'} min`
          : error instanceof Error
            ? error.message
            : String(error);
    await untilStored(() => this.lifecycle.fail(jobId, message), this.backoff, jobSignal).catch((failure: unknown) =>
      this.ignoreConflict(jobId, failure),
    );
  }

  /**
   * A conflict means the job moved on (canceled, say) while this stage ran: nothing left to record. A
   * store still refusing when the job is stopped leaves the job to the lease sweep (reported once).
   */
  private ignoreConflict(jobId: string, error: unknown): void {
    if (error instanceof ConflictError) return;
    if (error instanceof StoreUnavailable) {
      this.backoff.failed(error);
      return;
    }
    this.logger.error(`Job ${jobId} | could not record: ${error instanceof Error ? error.message : String(error)}`);
  }

  private readBrief(jobId: string): Record<string, unknown> {
    try {
      return JSON.parse(readFileSync(this.paths.briefFile(jobId), 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
}

/**
 * A signal that aborts with `parent`, or after `ms` with a TimeoutError (as AbortSignal.timeout);
 * `dispose` clears the timer and the listener once the stage is over. AbortSignal.any and
 * AbortSignal.timeout cost the event loop about twice as much, and their timer lived on for the
 * whole timeout after the stage ended (docs/PERFORMANCE.md).
 */
function abortAfter(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  timer.unref();
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
}
