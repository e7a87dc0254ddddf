import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATUSES } from '../domain/stages';
import { Commit, Store } from '../store/store.port';

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

  constructor(store: Store) {
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
  }

  streamClosed(): void {
    this.streamsOpen.dec();
  }

  httpRequest(route: string, status: number): void {
    this.httpRequests.inc({ route, status: String(status) });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}
