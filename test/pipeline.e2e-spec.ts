import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventBus } from '../src/bus/bus.port';
import { StageEvents } from '../src/domain/event-catalog';
import { JobLifecycle } from '../src/lifecycle/job-lifecycle.service';
import { Store } from '../src/store/store.port';
import { EventInput, JobEvent } from '../src/domain/events';
import { JsonlWriter } from '../src/sinks/jsonl-writer';
import { TestApp, bootTestApp, makeTempDir, removeDir } from './helpers/app';
import { allEvents, waitForStatus } from './helpers/jobs';

/** A stage_log event of the script stage, as a runner's output line makes. */
const logLine = (jobId: string, n: number): EventInput => StageEvents.log(jobId, 'script', 'stdout', `line ${n}`);

/** Jobs that reach their first gate at once (no commands to run) and then stay quiet. */
const QUIET_JOBS = {
  pipeline: { runner: 'command', commands: {} },
  gates: { outline: { required: true, auto_approve: false, auto_approve_after_s: null } },
};

describe('the event pipeline: database, events.jsonl, console, bus', () => {
  let t: TestApp;
  let emitter: JobLifecycle;
  const jobIds: string[] = [];

  beforeAll(async () => {
    t = await bootTestApp(QUIET_JOBS);
    emitter = t.app.get(JobLifecycle);
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('writes events.jsonl equal to the polled events, in order, for every job', async () => {
    const jobs = await Promise.all([1, 2, 3, 4].map((i) => t.createJob({ slug: `pipe-${i}` })));
    jobIds.push(...jobs.map((job) => job.id));
    for (const job of jobs) await waitForStatus(t, job.id, ['needs_approval']);
    for (let i = 0; i < 200; i++) await emitter.record(logLine(jobIds[i % 4], i));
    await t.http().post(`/api/v1/jobs/${jobIds[0]}/cancel`).set(t.auth).expect(200);
    for (const jobId of jobIds) {
      const polled = await allEvents(t, jobId);
      expect(polled.length).toBeGreaterThan(1);
      expect(t.jsonl(jobId)).toEqual(polled);
    }
  });

  it('prints one [events] console line per event, in id order', async () => {
    const jobId = jobIds[1];
    const lines = t
      .logs()
      .split('\n')
      .filter((line) => line.includes(`[events]`) && line.includes(`Job ${jobId} |`));
    const polled = await allEvents(t, jobId);
    expect(lines).toHaveLength(polled.length);
    lines.forEach((line, i) => expect(line).toContain(`Type: ${polled[i].type} | Message: ${polled[i].message} |`));
    expect(lines[0]).toMatch(
      /^\S+ \[events\] INFO: Job \S+ \| Stage: - \| Status: queued \| Type: job_created \| Message: .+ \| Payload: operator: admin, slug: pipe-2$/,
    );
  });

  it('pages with since=<next_since>&limit=1 over 100 events sharing timestamps, each exactly once', async () => {
    const job = await t.createJob({ slug: 'paging' });
    await waitForStatus(t, job.id, ['needs_approval']);
    for (let i = 0; i < 100; i++) await emitter.record(logLine(job.id, i));
    const all = await allEvents(t, job.id);
    expect(all.length).toBeGreaterThanOrEqual(100);
    expect(new Set(all.map((e) => e.ts)).size).toBeLessThan(100);
    const seen: number[] = [];
    let since: number | string = 0;
    for (let page = 0; page < 150; page++) {
      const body = await t.poll(`/api/v1/jobs/${job.id}/events/poll?since=${since}&limit=1`);
      if (body.events.length === 0) {
        expect(body.has_more).toBe(false);
        expect(body.next_since).toBe(since);
        break;
      }
      expect(body.events).toHaveLength(1);
      seen.push(body.events[0].id);
      expect(body.next_since).toBe(body.events[0].id);
      since = body.next_since;
    }
    expect(seen).toEqual(all.map((e) => e.id));
  });

  it('answers polling with the response shape of docs/API.md', async () => {
    const job = await t.createJob({ slug: 'shape' });
    for (let i = 0; i < 5; i++) await emitter.record(logLine(job.id, i));
    const newest = await t.poll(`/api/v1/jobs/${job.id}/events?limit=2`);
    expect(newest).toMatchObject({ job_id: job.id, total: 2, has_more: true, since: null });
    expect(newest.events.map((e: JobEvent) => e.message)).toEqual(['line 3', 'line 4']);
    const after = await t.poll(`/api/v1/jobs/${job.id}/events?since=${newest.events[0].id}&types=stage_log`);
    expect(after).toMatchObject({
      total: 1,
      has_more: false,
      since: String(newest.events[0].id),
      next_since: newest.events[1].id,
    });
    expect((after as any).last_event_time).toBe(newest.events[1].ts);
    const byTime = await t.poll(`/api/v1/jobs/${job.id}/events?since=2000-01-01T00:00:00Z&types=job_created`);
    expect(byTime.events.map((e: JobEvent) => e.type)).toEqual(['job_created']);
    for (const event of byTime.events) {
      expect(event.timestamp).toBe(event.ts);
      expect(event.event_type).toBe(event.type);
    }
  });

  it('keeps an event whose events.jsonl append failed, publishes it, and files it in order on the next event', async () => {
    const job = await t.createJob({ slug: 'broken-disk' });
    await waitForStatus(t, job.id, ['needs_approval']);
    const path = join(t.runsDir, job.id, 'events.jsonl');
    const writer = t.app.get(JsonlWriter);
    const published: number[] = [];
    const subscription = t.app.get(EventBus).subscribe(0, { next: ({ event }) => published.push(event.id) });
    // A directory where the file should be: the append fails (root ignores file modes).
    writer.close(job.id);
    rmSync(path);
    mkdirSync(path);
    const failed = await emitter.record(logLine(job.id, 1));
    expect(writer.isBehind(job.id)).toBe(true);
    expect(published).toContain(failed.id);
    expect(t.logs()).toContain('events.jsonl append failed');
    rmSync(path, { recursive: true });
    await emitter.record(logLine(job.id, 2));
    await writer.settled();
    subscription();
    expect(writer.isBehind(job.id)).toBe(false);
    expect(t.jsonl(job.id)).toEqual(await allEvents(t, job.id));
  });

  it('publishes and files nothing when storing the event fails', async () => {
    const job = await t.createJob({ slug: 'rollback' });
    await waitForStatus(t, job.id, ['needs_approval']);
    const published: number[] = [];
    const subscription = t.app.get(EventBus).subscribe(0, { next: ({ event }) => published.push(event.id) });
    const before = t.jsonl(job.id);
    await expect(
      t.app.get(Store).unitOfWork(async (tx) => {
        await tx.appendEvent(logLine(job.id, 1));
        throw new Error('state change refused');
      }),
    ).rejects.toThrow('state change refused');
    subscription();
    expect(published).toEqual([]);
    expect(t.jsonl(job.id)).toEqual(before);
    expect(await allEvents(t, job.id)).toEqual(before);
  });
});

describe('events.jsonl catch-up at start-up', () => {
  it('appends the lines a crash left out, after a torn last line, so the file equals the database', async () => {
    const dir = makeTempDir();
    let t = await bootTestApp({}, dir);
    const job = await t.createJob({ slug: 'crash' });
    const emitter = t.app.get(JobLifecycle);
    for (let i = 0; i < 30; i++) await emitter.record(logLine(job.id, i));
    await t.close();
    const path = join(t.runsDir, job.id, 'events.jsonl');
    const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    // As if the process died after storing the last events, mid-way through writing the first of them.
    writeFileSync(path, lines.slice(0, 21).join('\n') + '\n');
    appendFileSync(path, lines[21].slice(0, 25));
    t = await bootTestApp({}, dir);
    try {
      const text = readFileSync(path, 'utf8');
      const kept = lines.slice(0, 21).join('\n') + '\n';
      const torn = lines[21].slice(0, 25);
      // Append-only: what was there stays byte for byte, the torn fragment on a line of its own.
      expect(text.startsWith(kept + torn + '\n')).toBe(true);
      const caughtUp = text
        .slice(kept.length + torn.length + 1)
        .split('\n')
        .filter(Boolean);
      // The missing lines come first, then whatever the restarted service emitted (job_resumed).
      const missing = lines.length - 21;
      expect(caughtUp.slice(0, missing)).toEqual(lines.slice(21));
      const fileEvents = [...lines.slice(0, 21), ...caughtUp].map((line) => JSON.parse(line));
      // The job runs on meanwhile, so the file read first is a prefix of the database read after.
      expect((await allEvents(t, job.id)).slice(0, fileEvents.length)).toEqual(fileEvents);
      expect(t.logs()).toContain(`caught up with ${missing} line(s)`);
    } finally {
      await t.close();
      removeDir(dir);
    }
  });
});
