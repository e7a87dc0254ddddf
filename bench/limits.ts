import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { logLine } from './emit';
import { measureFanOut } from './sse';
import { nowMs, round, thousands } from './stats';

/**
 * npm run bench -- --limits: what this machine allows on the paths whose targets the service misses
 * (docs/PERFORMANCE.md, "This machine's limits"), measured with no service at all:
 *  - SSE fan-out: a bare Node http server writing one shared frame to every stream, read by the
 *    bench's own subscriber thread (the same clients and clock as the service's SSE figure);
 *  - file creation on the temp dir's filesystem: a file (a new inode) on a quiet filesystem, and
 *    right after files were deleted (ext4 without a journal skips inodes freed in the last 30 s).
 */
export async function measureLimits(): Promise<void> {
  console.log('| bare Node SSE subscribers | p50 ms | p99 ms | lost |');
  console.log('|---|---|---|---|');
  for (const clients of [100, 1_000]) {
    const result = await bareFanOut(clients);
    console.log(`| ${thousands(clients)} | ${round(result.p50)} | ${round(result.p99)} | ${result.lost} |`);
  }
  const quiet = createCost(2_000);
  const churned = createCost(2_000, 5_000);
  console.log(
    `\nfile creation in ${tmpdir()}: ${round(quiet, 0)} µs a file (${thousands(1e6 / quiet)}/s) as it is; ` +
      `${round(churned, 0)} µs (${thousands(1e6 / churned)}/s) right after 5,000 files were deleted`,
  );
}

/** A bare Node SSE server at 100 events/s, each frame the size of the service's stage_log frame. */
async function bareFanOut(clients: number): Promise<{ p50: number; p99: number; lost: number }> {
  const streams = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    res.write('data: {"type":"connected"}\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  });
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const jobId = randomUUID();
  try {
    const result = await measureFanOut(
      Array.from({ length: clients }, () => ({ scope: 'bare', url })),
      'none',
      { clients, rate: 100, events: 500 },
      async (n) => {
        const event = { id: n + 1, ts: new Date().toISOString(), ...logLine(jobId, n) };
        const frame = Buffer.from(`id: ${n + 1}\ndata: ${JSON.stringify(event)}\n\n`);
        for (const res of streams) res.write(frame);
        return n + 1;
      },
    );
    return { p50: result.all.p50, p99: result.all.p99, lost: result.lost };
  } finally {
    for (const res of streams) res.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** Microseconds to create and write one small file, each in a directory of its own job-like dir. */
function createCost(files: number, deletedBefore = 0): number {
  const root = mkdtempSync(join(tmpdir(), 'jobevents-limits-'));
  try {
    if (deletedBefore > 0) {
      mkdirSync(join(root, 'deleted'));
      for (let i = 0; i < deletedBefore; i++) writeFileSync(join(root, 'deleted', String(i)), 'x');
      rmSync(join(root, 'deleted'), { recursive: true });
    }
    const started = nowMs();
    for (let i = 0; i < files; i++) writeFileSync(join(root, String(i)), '{"state":"x"}\n');
    return ((nowMs() - started) * 1000) / files;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
