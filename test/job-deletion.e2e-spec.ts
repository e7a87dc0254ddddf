import { existsSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { TestApp, bootTestApp, makeTempDir, removeDir, waitFor } from './helpers/app';
import { NO_GATES, allEvents, waitForStatus } from './helpers/jobs';
import { openSse } from './helpers/sse';

/** Jobs wait at their first gate at once, so a test decides when each one ends. */
const HELD = {
  pipeline: { runner: 'command', commands: {} },
  gates: { ...NO_GATES, outline: { required: true, auto_approve: false, auto_approve_after_s: null } },
};

describe('DELETE /api/v1/jobs/:id', () => {
  let t: TestApp;
  beforeAll(async () => (t = await bootTestApp(HELD)));
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('refuses a live job with 409, an unknown or malformed id with 404, changing nothing', async () => {
    const job = await t.createJob({ slug: 'live' });
    await waitForStatus(t, job.id, ['needs_approval']);
    const before = await allEvents(t, job.id);
    const refused = await t.http().delete(`/api/v1/jobs/${job.id}`).set(t.auth).expect(409);
    expect(refused.body.detail).toBe(
      `Job ${job.id} is needs_approval; only a completed or failed or canceled job can be deleted`,
    );
    await t.http().delete('/api/v1/jobs/00000000-0000-4000-8000-000000000000').set(t.auth).expect(404);
    expect((await t.http().delete('/api/v1/jobs/not-a-uuid').set(t.auth).expect(404)).body.detail).toBeDefined();
    await t.http().delete(`/api/v1/jobs/${job.id}`).expect(401);
    expect(await allEvents(t, job.id)).toEqual(before);
    expect(existsSync(join(t.runsDir, job.id))).toBe(true);
  });

  it('removes a finished job whole (record, events, run dir) and records it on the global stream', async () => {
    const [gone, kept] = [await t.createJob({ slug: 'gone' }), await t.createJob({ slug: 'kept' })];
    await t.http().post(`/api/v1/jobs/${gone.id}/cancel`).set(t.auth).send({}).expect(200);
    await waitFor(() => t.jsonl(gone.id).some((event) => event.type === 'job_canceled'), 5000, 'the last line');
    const keptBefore = await allEvents(t, kept.id);
    const stream = await openSse(`${t.baseUrl}/api/v1/events/stream`, t.auth);
    try {
      const answer = await t.http().delete(`/api/v1/jobs/${gone.id}?operator=alice`).set(t.auth).expect(200);
      expect(answer.body).toEqual({ message: 'Job deleted successfully' });
      const isDeletion = (f: { json?: { type?: string } }) => f.json?.type === 'job_deleted';
      await stream.waitFor((frames) => frames.some(isDeletion), 5000, 'the job_deleted frame');
      expect(stream.frames.find(isDeletion)?.json).toMatchObject({
        job_id: gone.id,
        type: 'job_deleted',
        message: 'Job deleted by alice',
        payload: { status: 'canceled', operator: 'alice' },
      });
    } finally {
      stream.close();
    }
    await t.http().get(`/api/v1/jobs/${gone.id}`).set(t.auth).expect(404);
    await t.http().delete(`/api/v1/jobs/${gone.id}`).set(t.auth).expect(404);
    const listed = (await t.http().get('/api/v1/jobs').set(t.auth).expect(200)).body as { id: string }[];
    expect(listed.map((job) => job.id)).not.toContain(gone.id);
    // Only the deletion itself is left of the job, on the global stream; the other job is untouched.
    const global = await allEvents(t);
    expect(global.filter((event) => event.job_id === gone.id).map((event) => event.type)).toEqual(['job_deleted']);
    expect(await allEvents(t, kept.id)).toEqual(keptBefore);
    await waitFor(() => !existsSync(join(t.runsDir, gone.id)), 5000, 'the run dir to go');
    expect(existsSync(join(t.runsDir, kept.id, 'events.jsonl'))).toBe(true);
  });
});

describe('retention at start-up', () => {
  it('deletes finished jobs past jobs_retention_days, and prunes old events, as soon as the service listens', async () => {
    const dir = makeTempDir();
    try {
      const first = await bootTestApp(HELD, dir);
      const [old, recent, live] = [
        await first.createJob({ slug: 'old' }),
        await first.createJob({ slug: 'recent' }),
        await first.createJob({ slug: 'live' }),
      ];
      for (const job of [old, recent]) {
        await first.http().post(`/api/v1/jobs/${job.id}/cancel`).set(first.auth).send({}).expect(200);
      }
      await waitForStatus(first, live.id, ['needs_approval', 'queued']);
      const { runsDir, dbPath } = first;
      await first.close();

      // Ten days pass for `old` (and its events); `recent` finished an hour ago.
      const db = new BetterSqlite3(dbPath);
      const tenDaysAgo = new Date(Date.now() - 10 * 86_400_000).toISOString();
      db.prepare('UPDATE jobs SET updated_at = ? WHERE id = ?').run(tenDaysAgo, old.id);
      db.prepare('UPDATE events SET ts = ? WHERE job_id = ?').run(tenDaysAgo, recent.id);
      db.close();

      const second = await bootTestApp({ ...HELD, storage: { jobs_retention_days: 7, events_retention_days: 5 } }, dir);
      try {
        await waitFor(
          async () => (await second.http().get(`/api/v1/jobs/${old.id}`).set(second.auth)).status === 404,
          5000,
          'the old job to be deleted',
        );
        const deletion = (await allEvents(second)).find((event) => event.type === 'job_deleted');
        expect(deletion).toMatchObject({ job_id: old.id, payload: { operator: 'retention', status: 'canceled' } });
        await waitFor(() => !existsSync(join(runsDir, old.id)), 5000, 'the old run dir to go');
        // The recent job stays, its ten-day-old events pruned from the database (never from events.jsonl).
        await waitFor(async () => (await allEvents(second, recent.id)).length === 0, 5000, 'old events pruned');
        expect(second.jsonl(recent.id).length).toBeGreaterThan(0);
        await second.http().get(`/api/v1/jobs/${recent.id}`).set(second.auth).expect(200);
        await second.http().get(`/api/v1/jobs/${live.id}`).set(second.auth).expect(200);
        expect(second.logs()).toContain('Retention deleted 1 finished job(s)');
      } finally {
        await second.close();
      }
      // A restart does not bring the deleted job's run dir back (events.jsonl's start-up catch-up).
      const third = await bootTestApp(HELD, dir);
      await third.close();
      expect(existsSync(join(runsDir, old.id))).toBe(false);
    } finally {
      removeDir(dir);
    }
  });
});
