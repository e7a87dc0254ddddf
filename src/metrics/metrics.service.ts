import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { openFilesInUse, openFilesLimit } from '../common/open-files';
import { JOB_STATUSES } from '../domain/stages';
import { Commit, Store } from '../store/store.port';

/** Open files checked at most this often: reading /proc/self/fd costs about 1 ms at 1,000 files. */
const OPEN_FILES_CHECK_MS = 1000;
/** Said once when the open files reach this share of the limit, and again when they are back under the second. */
const OPEN_FILES_NEAR = 0.9;
const OPEN_FILES_CLEAR = 0.8;

const GATE_DECISIONS: Record<string, string> = {
  gate_approved: 'approved',
  gate_rejected: 'rejected',
  gate_auto_approved: 'auto_approved',
};

/**
 * The Prometheus metrics of docs/OPERATIONS.md, in a registry of this app's own (not prom-client's global one,
 * so two apps in one process — tests — keep separate counts).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly eventsEmitted = new Counter({
    name: 'jobevents_events_emitted_total',
    help: 'Events stored and published, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  private readonly emitSeconds = new Histogram({
    name: 'jobevents_emit_seconds',
    help: 'Time from the start of the unit of work that stored an event to its after-commit sinks (jsonl, console line)',
    buckets: [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  private readonly streamsOpen = new Gauge({
    name: 'jobevents_sse_streams_open',
    help: 'SSE streams open now',
    registers: [this.registry],
  });
  private readonly gateDecisions = new Counter({
    name: 'jobevents_gate_decisions_total',
    help: 'Gate decisions, by decision',
    labelNames: ['decision'],
    registers: [this.registry],
  });
  private readonly httpRequests = new Counter({
    name: 'jobevents_http_requests_total',
    help: 'HTTP requests answered, by route pattern and status',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });

  private readonly logger = new Logger('api');
  private readonly fileLimit = openFilesLimit();
  private filesCheckedAt = 0;
  private isNearFileLimit = false;

  constructor(store: Store) {
    if (this.fileLimit !== null) {
      // The names and meanings of prom-client's default process metrics, which dashboards know.
      new Gauge({
        name: 'process_open_fds',
        help: 'Number of open file descriptors.',
        registers: [this.registry],
        collect() {
          this.set(openFilesInUse() ?? 0);
        },
      });
      new Gauge({
        name: 'process_max_fds',
        help: 'Maximum number of open file descriptors.',
        registers: [this.registry],
      }).set(this.fileLimit);
    }
    new Gauge({
      name: 'jobevents_jobs',
      help: 'Jobs, by status',
      labelNames: ['status'],
      registers: [this.registry],
      async collect() {
        const counts = await store.countJobsByStatus();
        for (const status of JOB_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
  }

  /** A committed unit of work: its events by type, and the time from its start to its sinks. */
  committed({ startedAt, events }: Commit): void {
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    for (const { event } of events) {
      this.eventsEmitted.inc({ type: event.type });
      this.emitSeconds.observe(seconds);
      const decision = GATE_DECISIONS[event.type];
      if (decision) this.gateDecisions.inc({ decision });
    }
  }

  streamOpened(): void {
    this.streamsOpen.inc();
    this.checkOpenFiles();
  }

  streamClosed(): void {
    this.streamsOpen.dec();
    this.checkOpenFiles();
  }

  httpRequest(route: string, status: number): void {
    this.httpRequests.inc({ route, status: String(status) });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Past its open-files limit the process cannot accept a connection: the kernel's accept fails and
   * the client is reset, with nothing logged. So, as streams open and close (the connections that
   * last), this says when the files in use near the limit, and when they are clear of it again.
   */
  private checkOpenFiles(): void {
    const now = Date.now();
    if (this.fileLimit === null || now - this.filesCheckedAt < OPEN_FILES_CHECK_MS) return;
    this.filesCheckedAt = now;
    const inUse = openFilesInUse();
    if (inUse === null) return;
    if (!this.isNearFileLimit && inUse >= this.fileLimit * OPEN_FILES_NEAR) {
      this.isNearFileLimit = true;
      this.logger.warn(
        `${inUse} of at most ${this.fileLimit} open files in use: past the limit new connections are reset; ` +
          `raise it (LimitNOFILE, ulimit -n; docs/OPERATIONS.md, "Open files")`,
      );
    } else if (this.isNearFileLimit && inUse < this.fileLimit * OPEN_FILES_CLEAR) {
      this.isNearFileLimit = false;
      this.logger.log(`${inUse} of at most ${this.fileLimit} open files in use: clear of the limit again`);
    }
  }
}
