import { readFileSync } from 'node:fs';
import { ConflictException, Inject, Injectable, Logger } from '@nestjs/common';
import { Stage } from '../domain/stages';
import { nextStage } from '../domain/stages';
import { OperatorConfig } from '../config/operator-config';
import { RunPaths } from '../config/run-paths';
import { GateEvents, JobEvents, StageEvents } from '../domain/event-catalog';
import { EventLogger } from '../events/event-logger.service';
import { JobRecords } from '../jobs/job-records';
import { StateFiles } from '../jobs/state-files';
import { ArtifactRegistry } from './artifact-registry';
import { STAGE_RUNNER } from './runners/runner.provider';
import { StageAborted, StageRunner } from './runners/stage-runner';
import { mkdirSync } from 'node:fs';

/** Why a running job's AbortController fired. */
export type AbortReason = 'canceled' | 'job_timeout' | 'shutdown';

/**
 * Runs one job from its current stage until it pauses at a gate, completes, fails or is stopped
 * (SPEC §8). Every event it emits first checks, in the same transaction, that the job is still
 * running, so after a cancel nothing but `job_canceled` follows.
 */
@Injectable()
export class StageLoop {
  private readonly logger = new Logger('orchestrator');

  constructor(
    private readonly config: OperatorConfig,
    private readonly paths: RunPaths,
    private readonly records: JobRecords,
    private readonly events: EventLogger,
    private readonly artifacts: ArtifactRegistry,
    private readonly states: StateFiles,
    @Inject(STAGE_RUNNER) private readonly runner: StageRunner,
  ) {}

  async run(jobId: string, signal: AbortSignal): Promise<void> {
    let stage: Stage | null = null;
    try {
      const job = this.records.job(jobId);
      if (job.status !== 'queued') return;
      stage = job.stage;
      if (job.started_at === null) this.start(jobId);
      while (stage !== null) {
        const isPaused = await this.runStage(jobId, stage, signal);
        if (isPaused) return;
        stage = this.advance(jobId, stage);
      }
    } catch (error) {
      this.handleFailure(jobId, stage, error, signal);
    } finally {
      void this.states.refresh(jobId);
    }
  }

  private start(jobId: string): void {
    const now = new Date();
    const deadline = new Date(now.getTime() + this.config.pipeline.job_timeout_hours * 3_600_000).toISOString();
    this.events.emit(JobEvents.started(jobId), () =>
      this.records.transition(jobId, ['queued'], 'running', now.toISOString(), {
        stage: 'outline',
        startedAt: now.toISOString(),
        deadlineAt: deadline,
      }),
    );
    void this.states.refresh(jobId);
  }

  /** Runs one stage; returns true when the job now waits at the stage's gate. */
  private async runStage(jobId: string, stage: Stage, jobSignal: AbortSignal): Promise<boolean> {
    this.events.emit(StageEvents.started(jobId, stage), () =>
      this.records.transition(jobId, ['queued', 'running'], 'running', new Date().toISOString(), { stage }),
    );
    void this.states.refresh(jobId);
    const timeoutMinutes = this.config.pipeline.stage_timeouts[stage];
    const stageSignal = timeoutMinutes
      ? AbortSignal.any([jobSignal, AbortSignal.timeout(timeoutMinutes * 60_000)])
      : jobSignal;
    const job = this.records.job(jobId);
    const artifactsDir = this.paths.artifactsDir(jobId);
    mkdirSync(artifactsDir, { recursive: true });
    const outcome = await this.runner.run({
      jobId,
      slug: job.slug,
      stage,
      runDir: this.paths.jobDir(jobId),
      artifactsDir,
      brief: this.readBrief(jobId),
      signal: stageSignal,
      log: (stream, line) => {
        if (!stageSignal.aborted) this.events.emit(StageEvents.log(jobId, stage, stream, line));
      },
    });
    for (const path of outcome.artifacts) this.artifacts.register(jobId, stage, path);
    this.events.emit(StageEvents.completed(jobId, stage, outcome.result), () =>
      this.records.assertStatus(jobId, ['running']),
    );
    return this.pauseIfGated(jobId, stage);
  }

  private pauseIfGated(jobId: string, stage: Stage): boolean {
    const gate = this.records.gate(jobId, stage);
    if (!gate || !gate.required || gate.approved === 1) return false;
    const now = new Date();
    const deadline =
      gate.timeout_seconds !== null ? new Date(now.getTime() + gate.timeout_seconds * 1000).toISOString() : null;
    this.events.emit(GateEvents.pause(jobId, stage, gate.timeout_seconds), () => {
      this.records.transition(jobId, ['running'], 'needs_approval', now.toISOString(), { stage });
      this.records.setGateDeadline(jobId, stage, deadline);
    });
    return true;
  }

  /** The next stage to run, or null once the job has completed. */
  private advance(jobId: string, stage: Stage): Stage | null {
    const next = nextStage(stage);
    if (next !== null) return next;
    this.events.emit(JobEvents.completed(jobId, stage), () =>
      this.records.transition(jobId, ['running'], 'completed', new Date().toISOString()),
    );
    return null;
  }

  private handleFailure(jobId: string, stage: Stage | null, error: unknown, jobSignal: AbortSignal): void {
    const reason = jobSignal.aborted ? (jobSignal.reason as AbortReason) : null;
    // Canceled, stopped for shutdown (a restart re-runs the stage), or already moved on by someone else.
    if (reason === 'canceled' || reason === 'shutdown' || error instanceof ConflictException) return;
    const message =
      reason === 'job_timeout'
        ? `job timed out after ${this.config.pipeline.job_timeout_hours} h`
        : error instanceof StageAborted
          ? `stage timed out after ${stage ? this.config.pipeline.stage_timeouts[stage] : '?'} min`
          : error instanceof Error
            ? error.message
            : String(error);
    try {
      if (stage !== null) {
        this.events.emit(StageEvents.failed(jobId, stage, message), () =>
          this.records.assertStatus(jobId, ['running']),
        );
      }
      this.events.emit(JobEvents.failed(jobId, message), () =>
        this.records.transition(
          jobId,
          ['running', 'queued', 'needs_approval', 'paused'],
          'failed',
          new Date().toISOString(),
        ),
      );
    } catch (failure) {
      if (!(failure instanceof ConflictException)) {
        this.logger.error(
          `Job ${jobId} | could not record its failure: ${failure instanceof Error ? failure.message : String(failure)}`,
        );
      }
    }
  }

  private readBrief(jobId: string): Record<string, unknown> {
    try {
      return JSON.parse(readFileSync(this.paths.briefFile(jobId), 'utf8')) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
}
