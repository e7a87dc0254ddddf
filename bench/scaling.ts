import { QUIET_JOBS, createJobs, startBenchApp } from './bench-app';
import { fillTo, measureEmit, storedEvents } from './emit';
import { measurePolling } from './polling';
import { measureSlowReaders } from './slow-readers';
import { measureSse } from './sse';
import { round, thousands } from './stats';

/**
 * npm run bench -- --scaling: how the numbers move with size (docs/PERFORMANCE.md, "Scaling").
 * Not part of the default run (it takes a few minutes): SSE latency and RSS at 100, 1,000 and 2,000
 * subscribers; RSS with 1,000 streams that never read; emit() throughput against the number of jobs
 * written to; polling latency at 100,000 and 1,000,000 stored events.
 */
export async function measureScaling(): Promise<void> {
  const config = { ...QUIET_JOBS, security: { max_streams_per_client: 2_000 } };
  // First, on an app of its own: RSS is only meaningful in a process nothing else has grown yet.
  const fresh = await startBenchApp(config);
  try {
    const [jobId] = await createJobs(fresh, 1, 'slow-readers');
    const slow = await measureSlowReaders(fresh, jobId, 1_000, 5_000);
    console.log(
      `1,000 streams that never read, 5,000 events: RSS ${slow.beforeMb} MB before the streams, ` +
        `${slow.withStreamsMb} MB with them full\n`,
    );
  } finally {
    await fresh.close();
  }
  const bench = await startBenchApp(config);
  try {
    const [sseJob] = await createJobs(bench, 1, 'scaling-sse');
    console.log('| subscribers | SSE p50 ms | SSE p99 ms | lost | RSS MB (server and subscriber thread) |');
    console.log('|---|---|---|---|---|');
    for (const clients of [100, 1_000, 2_000]) {
      const sse = await measureSse(bench, sseJob, { clients, rate: 100, events: 500 });
      console.log(
        `| ${thousands(clients)} | ${round(sse.all.p50)} | ${round(sse.all.p99)} | ${sse.lost} | ${round(sse.rssMb, 0)} |`,
      );
    }

    const jobs = await createJobs(bench, 2_000, 'scaling');
    console.log('\n| jobs written to (round robin) | emit events/s |');
    console.log('|---|---|');
    for (const count of [10, 200, 2_000]) {
      const emit = await measureEmit(bench, jobs.slice(0, count), 20_000, 2_000);
      console.log(`| ${thousands(count)} | ${thousands(emit.eventsPerS)} |`);
    }

    console.log('\n| stored events | poll p50 ms | poll p99 ms |');
    console.log('|---|---|---|');
    const pollJobs = jobs.slice(0, 10);
    for (const target of [100_000, 1_000_000]) {
      await fillTo(bench, pollJobs, target);
      const stored = await storedEvents(bench);
      const poll = await measurePolling(bench, pollJobs, stored, 2_000, 100);
      console.log(`| ${thousands(stored)} | ${round(poll.all.p50)} | ${round(poll.all.p99)} |`);
    }
  } finally {
    await bench.close();
  }
}
