import { EventBus } from '../src/bus/bus.port';
import { NO_GATES, createJobsElsewhere, startBenchApp } from './bench-app';
import { storedEvents } from './emit';
import { nowMs } from './stats';

export interface EndToEndResult {
  jobs: number;
  seconds: number;
  jobsPerS: number;
  eventsPerS: number;
}

/**
 * Whole jobs through the orchestrator on an app of its own: `jobs` jobs created over HTTP, one after
 * the other from a thread of its own; no gate pausing, the simulate runner with stage_seconds 0, four
 * at once; from the first POST until the last job_completed. Each job emits about 40 events and writes its artifacts and state.json.
 */
export async function measureEndToEnd(jobs: number): Promise<EndToEndResult> {
  const bench = await startBenchApp({
    gates: NO_GATES,
    pipeline: { max_concurrent_jobs: 4, runner: 'simulate', simulate: { stage_seconds: 0 } },
  });
  try {
    let completed = 0;
    const allDone = new Promise<void>((resolve, reject) => {
      bench.app.get(EventBus).subscribe(0, {
        next: ({ event }) => {
          if (event.type === 'job_failed') reject(new Error(`a job failed: ${event.message}`));
          if (event.type === 'job_completed' && ++completed === jobs) resolve();
        },
      });
    });
    const started = nowMs();
    await createJobsElsewhere(bench, jobs, 'e2e');
    await allDone;
    const seconds = (nowMs() - started) / 1000;
    return { jobs, seconds, jobsPerS: jobs / seconds, eventsPerS: (await storedEvents(bench)) / seconds };
  } finally {
    await bench.close();
  }
}
