import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { STAGES } from '../src/domain/stages';
import { logLine } from './emit';
import { measureLoad } from './load';
import { measureFanOut } from './sse';
import { nowMs, round, thousands } from './stats';

/**
 * npm run bench -- --limits: what this machine allows on the paths whose targets the service misses
 * (docs/PERFORMANCE.md, "This machine's limits"), measured with no service at all:
 *  - SSE fan-out: a bare Node http server writing one shared frame to every stream, read by the
 *    bench's own subscriber thread (the same clients and clock as the service's SSE figure);
 *  - file creation on the temp dir's filesystem: a file (a new inode) on a quiet filesystem, and
 *    right after files were deleted (ext4 without a journal skips inodes freed in the last 30 s);
 *  - job creation: a bare Node http server doing the least a job's creation must do, under the same
 *    autocannon load as the service's figure.
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
  const created = await bareCreate();
  console.log(
    `bare job creation, autocannon, 16 connections: ${thousands(created.rps)} jobs/s, p50 ${created.p50Ms} ms, ` +
      `p99 ${created.p99Ms} ms, ${created.failures} failed`,
  );
}

/**
 * The least a job's creation must do (docs/API.md, POST /api/v1/jobs), with no framework: parse the JSON
 * body; one SQLite transaction per tick (WAL, synchronous NORMAL, as the service) inserting the job, its
 * nine gates and its `job_created` event; then its run dir, `compiled_brief.json` and `state.json`
 * written atomically (temp file + rename) and `events.jsonl` with its first line; a 201 with the job.
 */
async function bareCreate() {
  const root = mkdtempSync(join(tmpdir(), 'jobevents-limits-'));
  const db = new BetterSqlite3(join(root, 'bare.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE jobs (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, slug TEXT NOT NULL, intent TEXT NOT NULL,
             status TEXT NOT NULL, created_at TEXT NOT NULL);
           CREATE TABLE gates (job_id TEXT NOT NULL, stage TEXT NOT NULL, position INTEGER NOT NULL, required INTEGER NOT NULL,
             PRIMARY KEY (job_id, stage));
           CREATE TABLE events (id INTEGER PRIMARY KEY, job_id TEXT NOT NULL, ts TEXT NOT NULL, type TEXT NOT NULL, json TEXT NOT NULL);
           CREATE INDEX events_job ON events (job_id, id);`);
  const insertJob = db.prepare(`INSERT INTO jobs VALUES (?, ?, ?, ?, 'queued', ?)`);
  const insertGate = db.prepare('INSERT INTO gates VALUES (?, ?, ?, 0)');
  const insertEvent = db.prepare('INSERT INTO events (job_id, ts, type, json) VALUES (?, ?, ?, ?)');
  type Pending = { res: http.ServerResponse; slug: string; intent: string };
  let pending: Pending[] = [];
  let seq = 0;
  const commit = db.transaction((batch: Pending[]) =>
    batch.map(({ slug, intent }) => {
      const job = { id: randomUUID(), slug, intent, status: 'queued', created_at: new Date().toISOString() };
      insertJob.run(job.id, ++seq, slug, intent, job.created_at);
      STAGES.forEach((stage, position) => insertGate.run(job.id, stage, position));
      const event = { job_id: job.id, ts: job.created_at, type: 'job_created', payload: { slug } };
      const { lastInsertRowid } = insertEvent.run(job.id, event.ts, event.type, JSON.stringify(event));
      return { job, line: `${JSON.stringify({ id: Number(lastInsertRowid), ...event })}\n` };
    }),
  );
  const writeAtomic = (path: string, text: string) => {
    writeFileSync(`${path}.tmp`, text);
    renameSync(`${path}.tmp`, path);
  };
  const flush = () => {
    const batch = pending;
    pending = [];
    commit(batch).forEach(({ job, line }, i) => {
      const dir = join(root, job.id);
      mkdirSync(dir);
      writeAtomic(join(dir, 'compiled_brief.json'), JSON.stringify({ slug: job.slug, intent: job.intent }, null, 2));
      writeFileSync(join(dir, 'events.jsonl'), line, { flag: 'wx' });
      const view = {
        ...job,
        gates: STAGES.map((stage) => ({ stage, required: false, approved: null })),
        artifacts: [],
      };
      writeAtomic(join(dir, 'state.json'), JSON.stringify(view, null, 2));
      batch[i].res.writeHead(201, { 'Content-Type': 'application/json' }).end(JSON.stringify(view));
    });
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const { slug, intent } = JSON.parse(body) as { slug: string; intent: string };
      if (pending.push({ res, slug, intent }) === 1) setImmediate(flush);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return await measureLoad({ baseUrl, token: 'none' }, '/', {
      method: 'POST',
      body: { slug: 'load', intent: 'benchmark' },
      connections: 16,
      seconds: 10,
      warmUpSeconds: 3,
    });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    db.close();
    rmSync(root, { recursive: true, force: true });
  }
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
