import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { openStream } from './sse-client';

/**
 * The SSE subscribers of the bench, in a thread of their own (as real clients are not in the
 * server's process): opens the streams, says "ready", and records when each event's frame was parsed.
 */
interface Job {
  url: string;
  token: string;
  clients: number;
  expected: number;
}

async function run({ url, token, clients, expected }: Job): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients + 1 });
  const arrivals: [number, number][][] = Array.from({ length: clients }, () => []);
  const streams = await Promise.all(
    arrivals.map((list) =>
      openStream(url, token, agent, (id) => list.push([id, performance.timeOrigin + performance.now()])),
    ),
  );
  parentPort?.postMessage({ type: 'ready' });
  const deadline = Date.now() + 30_000;
  while (arrivals.some((list) => list.length < expected) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const stream of streams) stream.close();
  agent.destroy();
  parentPort?.postMessage({ type: 'done', arrivals });
}

void run(workerData as Job);
