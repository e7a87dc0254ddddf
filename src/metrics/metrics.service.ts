import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { JOB_STATUSES } from '../domain/stages';
import { Sqlite } from '../database/database.module';

const GATE_DECISIONS: Record<string, string> = {
  gate_approved: 'approved',
  gate_rejected: 'rejected',
  gate_auto_approved: 'auto_approved',
};

/**
 * The Prometheus metrics of SPEC §11, in a registry of this app's own (not prom-client's global one,
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
    help: 'Time EventLogger.emit() takes: row, events.jsonl line, console line, live publish',
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

  constructor(sqlite: Sqlite) {
    const statement = sqlite.db.prepare('SELECT status, COUNT(*) AS count FROM jobs GROUP BY status');
    new Gauge({
      name: 'jobevents_jobs',
      help: 'Jobs, by status',
      labelNames: ['status'],
      registers: [this.registry],
      collect() {
        const counts = new Map(
          (statement.all() as { status: string; count: number }[]).map((r) => [r.status, r.count]),
        );
        for (const status of JOB_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
  }

  eventEmitted(type: string, seconds: number): void {
    this.eventsEmitted.inc({ type });
    this.emitSeconds.observe(seconds);
    const decision = GATE_DECISIONS[type];
    if (decision) this.gateDecisions.inc({ decision });
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
