import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { TestApp, bootTestApp, removeDir, waitFor } from './helpers/app';
import { NO_GATES, allEvents, waitForStatus } from './helpers/jobs';
import { Store } from '../src/store/store.port';

/**
 * Another process (an operator's sqlite3 shell, a backup script) holding the database's write lock:
 * a real better-sqlite3 connection in a child process, in `BEGIN IMMEDIATE` for `ms`.
 */
async function holdWriteLock(dbPath: string, ms: number): Promise<{ child: ChildProcess; released: Promise<void> }> {
  const script = `
    const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(dbPath)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
  });
  const released = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, released };
}

/** The WARNING and ERROR lines logged after the first `lineCount` lines: a fault is reported a few times, not per attempt. */
function warningsSince(t: TestApp, lineCount: number): string[] {
  return t
    .logs()
    .split('\n')
    .slice(lineCount)
    .filter((line) => / (WARNING|ERROR): /.test(line));
}

async function timed<T>(action: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = Date.now();
  const result = await action();
  return { ms: Date.now() - started, result };
}

/** Four jobs through nine short stages (2 s in all at 0.2 s a stage), all running when the lock is taken. */
async function startJobs(t: TestApp): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) ids.push((await t.createJob({ slug: `locked-${i}` })).id);
  await Promise.all(ids.map((id) => waitForStatus(t, id, ['running'])));
  return ids;
}

describe('another process holding the SQLite write lock', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('strands no job when the lock is shorter than the busy timeout, and never freezes the server', async () => {
    t = await bootTestApp({
      gates: NO_GATES,
      pipeline: { max_concurrent_jobs: 4, simulate: { stage_seconds: 0.2 } },
    });
    const ids = await startJobs(t);
    // The app runs in this process: a busy wait on its event loop would show as one long delay here.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const lock = await holdWriteLock(join(t.dir, 'jobs.db'), 1000);
    const health = await timed(() => t.http().get('/healthz'));
    expect([health.result.status, health.ms < 500]).toEqual([200, true]);
    await lock.released;
    loopDelay.disable();
    expect(loopDelay.max / 1e6).toBeLessThan(300);
    for (const id of ids) await waitForStatus(t, id, ['completed'], 15000);
  });

  it('answers writes 503 with Retry-After through a 10 s lock, keeps reads going, and resumes by itself', async () => {
    t = await bootTestApp({
      gates: NO_GATES,
      storage: { busy_timeout_ms: 1000 },
      pipeline: { max_concurrent_jobs: 4, simulate: { stage_seconds: 0.05 } },
    });
    const ids = await startJobs(t);
    const logLinesBefore = t.logs().split('\n').length;
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const lock = await holdWriteLock(join(t.dir, 'jobs.db'), 10_000);

    const create = await timed(() => t.http().post('/api/v1/jobs').set(t.auth).send({ slug: 'refused', intent: 'x' }));
    expect(create.result.status).toBe(503);
    expect(create.result.headers['retry-after']).toBe('1');
    expect(create.result.body.detail).toContain('locked by another process');
    expect(create.ms).toBeLessThan(3000);
    const ready = await t.http().get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.detail).toContain('locked by another process');
    // Reads go on through the whole lock: /healthz and polling, sampled every 250 ms.
    while (lock.child.exitCode === null) {
      const health = await timed(() => t.http().get('/healthz'));
      expect([health.result.status, health.ms < 1000]).toEqual([200, true]);
      const poll = await timed(() => t.http().get(`/api/v1/jobs/${ids[0]}/events?since=0`).set(t.auth));
      expect([poll.result.status, poll.ms < 1000]).toEqual([200, true]);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await lock.released;
    loopDelay.disable();
    expect(loopDelay.max / 1e6).toBeLessThan(300);
    for (const id of ids) await waitForStatus(t, id, ['completed'], 15000);
    await waitFor(async () => (await t.http().get('/readyz')).status === 200, 5000, '/readyz to be ready again');
    await t.http().post('/api/v1/jobs').set(t.auth).send({ slug: 'after', intent: 'x' }).expect(201);
    expect(warningsSince(t, logLinesBefore).length).toBeLessThan(20);
  });
});

describe('a stage printing lines through a lock held longer than the busy timeout', () => {
  it('stores every line, in order, before the stage completes', async () => {
    const t = await bootTestApp({
      gates: NO_GATES,
      storage: { busy_timeout_ms: 200 },
      pipeline: {
        runner: 'command',
        commands: { outline: 'i=1; while [ $i -le 150 ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done' },
      },
    });
    try {
      const job = await t.createJob({ slug: 'chatty' });
      await waitFor(
        async () => (await allEvents(t, job.id)).some((event) => event.type === 'stage_log'),
        5000,
        'the first line',
      );
      const lock = await holdWriteLock(join(t.dir, 'jobs.db'), 1500);
      await lock.released;
      await waitForStatus(t, job.id, ['completed'], 20000);
      const outline = (await allEvents(t, job.id)).filter((event) => event.stage === 'outline');
      const lines = outline.filter((event) => event.type === 'stage_log').map((event) => event.payload.line);
      expect(lines).toEqual(Array.from({ length: 150 }, (_, i) => `line ${i + 1}`));
      expect(outline.at(-1)?.type).toBe('stage_completed');
    } finally {
      await t.close();
    }
  });
});

describe('a running job whose stage loop is gone', () => {
  it('is found by the lease sweep and re-run (job_resumed, reason takeover), without a restart', async () => {
    const t = await bootTestApp({
      gates: NO_GATES,
      pipeline: { max_concurrent_jobs: 1, simulate: { stage_seconds: 0.2 } },
    });
    try {
      const busy = await t.createJob({ slug: 'holds-the-slot' });
      await waitForStatus(t, busy.id, ['running']);
      const lost = await t.createJob({ slug: 'lost' });
      // As a loop that died would leave it: running, leased by an instance that stopped renewing.
      const store = t.app.get(Store);
      await store.unitOfWork(async (tx) => {
        const claimed = await tx.claimNextQueued('gone:1', new Date(Date.now() - 1000).toISOString(), 'now', [busy.id]);
        expect(claimed?.id).toBe(lost.id);
        await tx.updateJob(lost.id, { status: 'running', started_at: new Date().toISOString(), updated_at: 'now' });
      });
      const resumed = await waitFor(
        async () => (await allEvents(t, lost.id)).find((event) => event.type === 'job_resumed'),
        10000,
        'the lost job to be taken over',
      );
      expect(resumed?.payload).toMatchObject({ reason: 'takeover' });
      await waitForStatus(t, lost.id, ['completed'], 15000);
    } finally {
      await t.close();
    }
  });
});

/** A small tmpfs of our own to fill (root only: elsewhere the test is skipped with a warning). */
function mountSmallDisk(): string | null {
  if (process.getuid?.() !== 0) return null;
  const dir = mkdtempSync(join(tmpdir(), 'jobevents-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

/** Writes one file until the disk has not a byte left. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 8, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

const disk = mountSmallDisk();
const describeOnDisk = disk ? describe : describe.skip;
if (!disk) console.warn('Not root or no tmpfs: the full-disk test is skipped');

describeOnDisk('a full disk', () => {
  afterAll(() => {
    if (!disk) return;
    execFileSync('umount', [disk]);
    removeDir(disk);
  });

  it('answers 507, spins nothing for 10 s, says so in a few lines, and every job ends once space returns', async () => {
    const dir = join(disk as string, 'data');
    const t = await bootTestApp(
      {
        gates: NO_GATES,
        storage: { min_free_mb: 1 },
        pipeline: { max_concurrent_jobs: 2, simulate: { stage_seconds: 0.2 } },
      },
      (mkdirSync(dir), dir),
    );
    try {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await t.createJob({ slug: `full-${i}` })).id);
      await waitForStatus(t, ids[0], ['running']);
      const filler = join(disk as string, 'filler');
      fillDisk(filler);
      const logLinesBefore = t.logs().split('\n').length;
      const cpuBefore = process.cpuUsage();
      const refused = await t.http().post('/api/v1/jobs').set(t.auth).send({ slug: 'no-room', intent: 'x' });
      expect([507, 503]).toContain(refused.status);
      expect(refused.body.detail).toEqual(expect.any(String));
      expect(refused.headers['retry-after']).toBeDefined();
      expect((await t.http().get('/readyz')).status).toBe(503);
      const validation = await t.http().post('/api/v1/config/validate').set(t.auth).expect(200);
      expect(validation.body).toMatchObject({
        valid: false,
        message: expect.stringMatching(/MB free|no space|locked|cannot be written/i),
      });
      // Ten seconds of a full disk with jobs waiting to record their stages: the process stays near idle.
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const cpu = process.cpuUsage(cpuBefore);
      expect((cpu.user + cpu.system) / 1e6).toBeLessThan(1);
      expect(warningsSince(t, logLinesBefore).length).toBeLessThan(20);

      rmSync(filler);
      for (const id of ids) await waitForStatus(t, id, ['completed', 'failed'], 20000);
      await waitFor(async () => (await t.http().get('/readyz')).status === 200, 5000, '/readyz to be ready again');
      await t.http().post('/api/v1/jobs').set(t.auth).send({ slug: 'room-again', intent: 'x' }).expect(201);
    } finally {
      await t.close();
    }
  });
});

describe('a runs dir that cannot take a new job', () => {
  it('refuses the job with a JSON error, stores nothing, and takes jobs again once it can', async () => {
    const t = await bootTestApp({ gates: NO_GATES });
    try {
      // The runs dir replaced by a file: a new job's directory cannot be made (ENOTDIR).
      rmSync(t.runsDir, { recursive: true, force: true });
      closeSync(openSync(t.runsDir, 'w'));
      const refused = await t.http().post('/api/v1/jobs').set(t.auth).send({ slug: 'no-dir', intent: 'x' });
      expect({ status: refused.status, detail: refused.body.detail, retry: refused.headers['retry-after'] }).toEqual({
        status: 503,
        detail: 'The runs dir cannot take a new job right now (ENOTDIR)',
        retry: '30',
      });
      expect((await t.http().get('/api/v1/jobs').set(t.auth).expect(200)).body).toEqual([]);
      rmSync(t.runsDir);
      mkdirSync(t.runsDir);
      const job = await t.createJob({ slug: 'dir-back' });
      await waitForStatus(t, job.id, ['completed']);
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });
});
