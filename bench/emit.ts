import { Sqlite } from '../src/database/database.module';
import { StageEvents } from '../src/domain/event-catalog';
import { EventLogger } from '../src/events/event-logger.service';
import { EventInput } from '../src/domain/events';
import { BenchApp } from './bench-app';
import { nowMs } from './stats';

/** A stage_log as a command's output line makes it: about 80 characters in the message and again in the payload. */
export function logLine(jobId: string, n: number): EventInput {
  return StageEvents.log(jobId, 'script', 'stdout', `bench line ${n} ${'x'.repeat(64)}`);
}

export interface EmitResult {
  events: number;
  seconds: number;
  eventsPerS: number;
}

/**
 * `EventLogger.emit()` in a tight synchronous loop, round-robin over the jobs, after `warmUp`
 * untimed calls (JIT, first-line catch-up of each job's events.jsonl, statement caches).
 * Each call does all four sinks: the SQLite insert, the events.jsonl append, the console line, the bus.
 */
export function measureEmit(bench: BenchApp, jobIds: string[], count: number, warmUp: number): EmitResult {
  const logger = bench.app.get(EventLogger);
  for (let i = 0; i < warmUp; i++) logger.emit(logLine(jobIds[i % jobIds.length], i));
  const started = nowMs();
  for (let i = 0; i < count; i++) logger.emit(logLine(jobIds[i % jobIds.length], i));
  const seconds = (nowMs() - started) / 1000;
  bench.freshConnections();
  return { events: count, seconds, eventsPerS: count / seconds };
}

/**
 * Emits until the database holds `target` events, in slices that yield to the event loop between
 * them (so the server keeps answering, as it would in production). Returns how many were added.
 */
export async function fillTo(bench: BenchApp, jobIds: string[], target: number): Promise<EmitResult> {
  const logger = bench.app.get(EventLogger);
  const started = nowMs();
  let added = 0;
  for (let stored = storedEvents(bench); stored < target;) {
    const slice = Math.min(5_000, target - stored);
    for (let i = 0; i < slice; i++, stored++, added++) logger.emit(logLine(jobIds[stored % jobIds.length], stored));
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (nowMs() - started) / 1000;
  bench.freshConnections();
  return { events: added, seconds, eventsPerS: added > 0 ? added / seconds : 0 };
}

/** Rows in the events table, read through the app's own connection. */
export function storedEvents(bench: BenchApp): number {
  const sqlite = bench.app.get(Sqlite);
  return (sqlite.db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n;
}
