import net from 'node:net';
import { JobLifecycle } from '../src/lifecycle/job-lifecycle.service';
import { BenchApp } from './bench-app';
import { logLine } from './emit';

export interface SlowReadersResult {
  beforeMb: number;
  withStreamsMb: number;
}

/**
 * `clients` global streams over raw sockets that send the request and never read, then `events`
 * events emitted: this process's RSS before the streams and once every frame was handed to them
 * (those a socket did not take wait in each stream's writer, up to events.max_backlog).
 */
export async function measureSlowReaders(bench: BenchApp, jobId: string, clients: number, events: number) {
  const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);
  const beforeMb = rssMb();
  const { port } = new URL(bench.baseUrl);
  const request =
    `GET /api/v1/events/stream HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n` +
    `Authorization: Bearer ${bench.token}\r\n\r\n`;
  const sockets = Array.from({ length: clients }, () => {
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(request);
    socket.pause();
    return socket;
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const lifecycle = bench.app.get(JobLifecycle);
    for (let sent = 0; sent < events; sent += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => lifecycle.record(logLine(jobId, sent + k))));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    return { beforeMb, withStreamsMb: rssMb() } satisfies SlowReadersResult;
  } finally {
    for (const socket of sockets) socket.destroy();
  }
}
