import { StageEvents } from '../src/domain/event-catalog';
import { JobLifecycle } from '../src/lifecycle/job-lifecycle.service';
import { RetentionService } from '../src/events/retention.service';
import { TestApp, bootTestApp, removeDir } from './helpers/app';
import { NO_GATES, allEvents, waitForStatus } from './helpers/jobs';
import { openSse } from './helpers/sse';

const DAY_MS = 86_400_000;

describe('retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({
      // Jobs that wait at their first gate at once, so only the test's own events follow.
      pipeline: { runner: 'command', commands: {} },
      gates: { ...NO_GATES, outline: { required: true, auto_approve: false, auto_approve_after_s: null } },
      storage: { events_retention_days: 1, max_events_per_job: 10 },
    });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('removes exactly the old events of finished jobs and those beyond the cap, never from events.jsonl', async () => {
    const emitter = t.app.get(JobLifecycle);
    const [busy, finished, small] = await Promise.all(
      ['busy', 'finished', 'small'].map((slug) => t.createJob({ slug })),
    );
    for (const job of [busy, finished, small]) await waitForStatus(t, job.id, ['needs_approval']);
    for (let i = 0; i < 25; i++) await emitter.record(StageEvents.log(busy.id, 'script', 'stdout', `line ${i}`));
    await t.http().post(`/api/v1/jobs/${finished.id}/cancel`).set(t.auth).send({}).expect(200);
    const before = {
      busy: await allEvents(t, busy.id),
      finished: await allEvents(t, finished.id),
      small: await allEvents(t, small.id),
    };
    expect(before.small.length).toBeLessThanOrEqual(10);

    // Two days later: the canceled job's events are past events_retention_days.
    const result = await t.app.get(RetentionService).sweep(new Date(Date.now() + 2 * DAY_MS));
    expect(result).toEqual({ removedOld: before.finished.length, removedOverCap: before.busy.length - 10 });

    expect(await allEvents(t, busy.id)).toEqual(before.busy.slice(-10));
    expect(await allEvents(t, finished.id)).toEqual([]);
    expect(await allEvents(t, small.id)).toEqual(before.small);
    expect(t.jsonl(busy.id)).toEqual(before.busy);
    expect(t.jsonl(finished.id)).toEqual(before.finished);
    expect(await t.app.get(RetentionService).sweep(new Date(Date.now() + 2 * DAY_MS))).toEqual({
      removedOld: 0,
      removedOverCap: 0,
    });

    // A cursor before what was removed is told so, first; a job that lost nothing never is.
    const oldestKept = before.busy[before.busy.length - 10].id;
    const polled = (await t.http().get(`/api/v1/jobs/${busy.id}/events?since=0`).set(t.auth).expect(200)).body;
    expect(polled.history_truncated).toEqual({
      type: 'history_truncated',
      job_id: busy.id,
      oldest_id: oldestKept,
      message: expect.stringContaining(`up to id ${oldestKept - 1}`),
    });
    expect(polled.events[0].id).toBe(oldestKept);
    const caughtUp = (
      await t
        .http()
        .get(`/api/v1/jobs/${busy.id}/events?since=${oldestKept - 1}`)
        .set(t.auth)
    ).body;
    expect(caughtUp.history_truncated).toBeUndefined();
    expect(
      (await t.http().get(`/api/v1/jobs/${small.id}/events?since=0`).set(t.auth)).body.history_truncated,
    ).toBeUndefined();
    const global = (await t.http().get('/api/v1/events?since=0').set(t.auth)).body;
    expect(global.history_truncated).toMatchObject({ type: 'history_truncated', job_id: null });

    const stream = await openSse(`${t.baseUrl}/api/v1/jobs/${busy.id}/events/stream?since=0`, t.auth);
    try {
      await stream.waitFor((frames) => frames.filter((f) => f.id).length >= 10);
      expect(stream.frames[1].id).toBeUndefined();
      expect(stream.frames[1].json).toEqual(polled.history_truncated);
      expect(stream.events()).toEqual(before.busy.slice(-10));
    } finally {
      stream.close();
    }
    const untouched = await openSse(`${t.baseUrl}/api/v1/jobs/${small.id}/events/stream?since=0`, t.auth);
    try {
      await untouched.waitFor((frames) => frames.filter((f) => f.id).length >= before.small.length);
      expect(untouched.frames.some((f) => f.json?.type === 'history_truncated')).toBe(false);
    } finally {
      untouched.close();
    }
  });
});
