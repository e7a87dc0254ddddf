import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EventBus } from '../bus/bus.port';
import { AppLogger, LogRecord } from '../common/app-logger';
import { JobEvent, PublishedEvent } from '../domain/events';
import { MetricsService } from '../metrics/metrics.service';
import { Commit, Store } from '../store/store.port';
import { consoleLevel, formatConsoleLine } from './console-line';
import { DecisionFiles } from './decision-files';
import { JsonlWriter } from './jsonl-writer';
import { RunDirs } from './run-dirs';
import { StateFiles } from './state-files';

/**
 * Events that are no transition (docs/OPERATIONS.md, "Files on disk": state.json is rewritten on
 * every transition): a stage's output line, and an artifact, which the stage's own outcome follows.
 */
const STATELESS = new Set(['stage_log', 'artifact_created', 'job_deleted']);

/**
 * Every effect of an event, in one list, run for each committed transaction (a batch of units of
 * work) in commit (= id) order, and only after commit: an event that is not stored is never filed,
 * printed or published. Each sink takes the whole batch, so a burst costs one write per file.
 *
 *   1. events.jsonl lines           JsonlWriter, one write per job (caught up from the store when behind)
 *   2. `[events]` console lines     formatConsoleLine, at the event's level, one write for the batch
 *   3. metrics                      MetricsService (events by type, gate decisions)
 *   4. gates/<stage>.json           DecisionFiles, for each gate a unit decided
 *   5. state.json                   StateFiles, once for each job whose state changed
 *   6. runs/<id>/ removed           RunDirs, for each job deleted (`job_deleted`)
 *   7. the bus                      EventBus.publish, unit by unit; its subscribers are the SSE streams
 *                                   (src/events/sse) and the orchestrator's queue wake-up and cancel
 *
 * A sink that throws is logged and skipped; the ones after it still run.
 */
@Injectable()
export class AfterCommit implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('events');
  private readonly sinks: { name: string; deliver: (commits: readonly Commit[], events: PublishedEvent[]) => void }[] =
    [
      { name: 'events.jsonl', deliver: (_commits, events) => this.jsonl.appendAll(events) },
      {
        name: 'console line',
        deliver: (_commits, events) =>
          this.console.batch(() => events.forEach(({ event }) => this.printConsoleLine(event))),
      },
      { name: 'metrics', deliver: (commits) => commits.forEach((commit) => this.metrics.committed(commit)) },
      {
        name: 'gate decision file',
        deliver: (commits) =>
          commits.forEach(({ decidedGates }) =>
            decidedGates.forEach(({ jobId, gate }) => this.decisions.write(jobId, gate)),
          ),
      },
      {
        name: 'state.json',
        deliver: (_commits, events) => {
          const changed = new Set(
            events.filter(({ event }) => !STATELESS.has(event.type)).map(({ event }) => event.job_id),
          );
          for (const jobId of changed) void this.states.refresh(jobId);
        },
      },
      {
        name: 'run dir',
        deliver: (_commits, events) =>
          events.forEach(({ event }) => event.type === 'job_deleted' && this.runDirs.remove(event.job_id)),
      },
      { name: 'bus', deliver: (commits) => commits.forEach(({ events }) => this.bus.publish(events)) },
    ];

  constructor(
    private readonly store: Store,
    private readonly jsonl: JsonlWriter,
    private readonly metrics: MetricsService,
    private readonly decisions: DecisionFiles,
    private readonly states: StateFiles,
    private readonly runDirs: RunDirs,
    private readonly bus: EventBus,
    private readonly console: AppLogger,
  ) {}

  /** Before anything emits: every events.jsonl behind the store (a failed append, a crash) is caught up. */
  async onModuleInit(): Promise<void> {
    this.store.onCommit((commits) => this.deliver(commits));
    await this.jsonl.catchUpAll();
  }

  deliver(commits: readonly Commit[]): void {
    const events = commits.flatMap((commit) => commit.events);
    if (events.length === 0 && commits.every((commit) => commit.decidedGates.length === 0)) return;
    for (const sink of this.sinks) {
      try {
        sink.deliver(commits, events);
      } catch (error) {
        this.logger.error(`The ${sink.name} sink failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /** The files under way are written before the store closes (it shuts down after this module). */
  async onApplicationShutdown(): Promise<void> {
    await this.settled();
  }

  /** Resolves once every file write under way has finished (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all([this.jsonl.settled(), this.states.settled()]);
    await this.runDirs.settled();
  }

  private printConsoleLine(event: JobEvent): void {
    const fields = { event_id: event.id, job_id: event.job_id, type: event.type, stage: event.stage };
    const line = new LogRecord(formatConsoleLine(event), fields);
    const level = consoleLevel(event);
    if (level === 'error') this.logger.error(line);
    else if (level === 'warning') this.logger.warn(line);
    else if (level === 'debug') this.logger.debug(line);
    else this.logger.log(line);
  }
}
