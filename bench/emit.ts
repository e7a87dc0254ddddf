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

/** How many records are in flight at once: a busy stage's output lines, which nobody waits on one by one. */
const IN_FLIGHT = 1_000;

/** `count` records back to back, round-robin over the jobs, at most IN_FLIGHT awaiting their commit. */
async function recordBackToBack(lifecycle: JobLifecycle, jobIds: string[], from: number, count: number) {
  for (let sent = 0; sent < count;) {
    const slice: Promise<unknown>[] = [];
    for (; slice.length < IN_FLIGHT && sent < count; sent++) {
      slice.push(lifecycle.record(logLine(jobIds[(from + sent) % jobIds.length], from + sent)));
    }
    await Promise.all(slice);
  }
}

/**
 * `JobLifecycle.record()` called back to back, as the old synchronous `emit()` loop was, round-robin
 * over the jobs, after `warmUp` untimed calls (JIT, first-line catch-up of each job's events.jsonl,
 * statement caches). Each call is one unit of work (the SQLite insert, committed; units asked for
 * together share a transaction) and then every after-commit sink: the events.jsonl append, the
 * console line, metrics, the bus. Events per second = calls ÷ the wall time until all committed.
 */
export async function measureEmit(
  bench: BenchApp,
  jobIds: string[],
  count: number,
  warmUp: number,
): Promise<EmitResult> {
  const lifecycle = bench.app.get(JobLifecycle);
  await recordBackToBack(lifecycle, jobIds, 0, warmUp);
  const started = nowMs();
  await recordBackToBack(lifecycle, jobIds, 0, count);
  const seconds = (nowMs() - started) / 1000;
  bench.freshConnections();
  return { events: count, seconds, eventsPerS: count / seconds };
}

/** The same, each call awaited before the next: one transaction per event (printed for context). */
export async function measureEmitOneByOne(bench: BenchApp, jobIds: string[], count: number): Promise<EmitResult> {
  const lifecycle = bench.app.get(JobLifecycle);
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
    await recordBackToBack(lifecycle, jobIds, stored, slice);
    stored += slice;
    added += slice;
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
