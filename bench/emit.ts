import { StageEvents } from '../src/domain/event-catalog';
import { JobLifecycle } from '../src/lifecycle/job-lifecycle.service';
import { Store } from '../src/store/store.port';
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
 * `JobLifecycle.record()` awaited one after another, round-robin over the jobs, after `warmUp`
 * untimed calls (JIT, first-line catch-up of each job's events.jsonl, statement caches). Each call
 * is one unit of work (the SQLite insert, committed) and then every after-commit sink: the
 * events.jsonl append, the console line, metrics, the bus.
 */
export async function measureEmit(
  bench: BenchApp,
  jobIds: string[],
  count: number,
  warmUp: number,
): Promise<EmitResult> {
  const lifecycle = bench.app.get(JobLifecycle);
  for (let i = 0; i < warmUp; i++) await lifecycle.record(logLine(jobIds[i % jobIds.length], i));
  const started = nowMs();
  for (let i = 0; i < count; i++) await lifecycle.record(logLine(jobIds[i % jobIds.length], i));
  const seconds = (nowMs() - started) / 1000;
  bench.freshConnections();
  return { events: count, seconds, eventsPerS: count / seconds };
}

/**
 * Emits until the database holds `target` events, in slices that yield to the event loop between
 * them (so the server keeps answering, as it would in production). Returns how many were added.
 */
export async function fillTo(bench: BenchApp, jobIds: string[], target: number): Promise<EmitResult> {
  const lifecycle = bench.app.get(JobLifecycle);
  const started = nowMs();
  let added = 0;
  for (let stored = await storedEvents(bench); stored < target;) {
    const slice = Math.min(5_000, target - stored);
    for (let i = 0; i < slice; i++, stored++, added++) {
      await lifecycle.record(logLine(jobIds[stored % jobIds.length], stored));
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  const seconds = (nowMs() - started) / 1000;
  bench.freshConnections();
  return { events: added, seconds, eventsPerS: added > 0 ? added / seconds : 0 };
}

/** Events stored: the newest id (the bench never prunes, so ids run 1…n without a gap). */
export async function storedEvents(bench: BenchApp): Promise<number> {
  const [newest] = await bench.app.get(Store).newestEvents({}, 1);
  return newest?.id ?? 0;
}
