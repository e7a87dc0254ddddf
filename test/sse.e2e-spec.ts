import { EventBus } from '../src/bus/bus.port';
import { StageEvents } from '../src/domain/event-catalog';
import { JobLifecycle } from '../src/lifecycle/job-lifecycle.service';
import { EventInput } from '../src/domain/events';
import { SseService } from '../src/events/sse/sse.service';
import { TestApp, bootTestApp, removeDir, waitFor } from './helpers/app';
import { allEvents } from './helpers/jobs';
import { SseClient, openSse } from './helpers/sse';

/** A stage_log event of the script stage, as a runner's output line makes. */
const logLine = (jobId: string, n: number): EventInput => StageEvents.log(jobId, 'script', 'stdout', `line ${n}`);

function expectIncreasing(ids: number[]): void {
  for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);
}

describe('SSE streams', () => {
  let t: TestApp;
  let emitter: JobLifecycle;
  const open: SseClient[] = [];
  const stream = async (path: string, headers: Record<string, string> = {}) => {
    const client = await openSse(`${t.baseUrl}${path}`, { ...t.auth, ...headers });
    open.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await bootTestApp({ events: { heartbeat_seconds: 0.2, sse_retry_ms: 1500, max_backlog: 200 } });
    emitter = t.app.get(JobLifecycle);
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('starts with a retry hint and a connected frame that carry no id and no event field', async () => {
    const job = await t.createJob();
    const sse = await stream(`/api/v1/jobs/${job.id}/events/stream`);
    await sse.waitFor((frames) => frames.length >= 1);
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sse.headers['cache-control']).toContain('no-cache');
    expect(sse.headers['x-accel-buffering']).toBe('no');
    const [first] = sse.frames;
    expect(first.retry).toBe(1500);
    expect(first.id).toBeUndefined();
    expect(first.raw).not.toMatch(/^event:/m);
    expect(first.json).toMatchObject({
      type: 'connected',
      stage: null,
      status: null,
      message: `Connected to job ${job.id} event stream`,
      payload: { job_id: job.id, operator: 'admin' },
    });
  });

  it('sends heartbeats at the configured interval without an id line', async () => {
    const job = await t.createJob();
    const sse = await stream(`/api/v1/jobs/${job.id}/events/stream`);
    await sse.waitFor(
      (frames) => frames.filter((f) => f.json?.type === 'heartbeat').length >= 2,
      3000,
      'two heartbeats',
    );
    const heartbeats = sse.frames.filter((f) => f.json?.type === 'heartbeat');
    for (const frame of heartbeats) {
      expect(frame.id).toBeUndefined();
      expect(frame.json).toMatchObject({ message: 'Server alive', stage: null, status: null });
      expect(typeof frame.json.payload.timestamp).toBe('string');
    }
  });

  it('gives every one of three global clients all 50 concurrently created jobs, ids strictly increasing without gaps', async () => {
    const before = (await t.poll('/api/v1/events?limit=1')).next_since as number;
    // The orchestrator starts jobs meanwhile; the job_created events are the ones to count.
    const clients = await Promise.all([1, 2, 3].map(() => stream('/api/v1/events/stream?types=job_created')));
    await Promise.all(clients.map((c) => c.waitFor((frames) => frames.length >= 1)));
    const created = await Promise.all(Array.from({ length: 50 }, (_, i) => t.createJob({ slug: `job-${i}` })));
    const polled = (await t.poll(`/api/v1/events?since=${before}&types=job_created&limit=1000`)).events;
    expect(polled).toHaveLength(50);
    for (const client of clients) {
      await client.waitFor((f) => f.filter((x) => x.id).length >= 50, 10000, '50 job_created');
      const events = client.events();
      expectIncreasing(events.map((e) => e.id));
      expect(events).toEqual(polled);
      expect(new Set(events.map((e) => e.job_id))).toEqual(new Set(created.map((job) => job.id)));
    }
  });

  it('resumes after Last-Event-ID without a gap or a duplicate while events keep coming', async () => {
    const job = await t.createJob();
    let n = 0;
    const ticker = setInterval(() => {
      for (let i = 0; i < 5; i++) void emitter.record(logLine(job.id, n++));
    }, 5);
    try {
      const first = await stream(`/api/v1/jobs/${job.id}/events/stream?since=0`);
      await first.waitFor((frames) => frames.filter((f) => f.id).length >= 40, 5000, '40 events');
      first.close();
      const received = first.events();
      const lastId = received[received.length - 1].id;
      // Reconnect as a browser does: same URL (still ?since=0), plus the Last-Event-ID header, which wins.
      const second = await stream(`/api/v1/jobs/${job.id}/events/stream?since=0`, { 'Last-Event-ID': String(lastId) });
      await waitFor(() => n >= 400, 10000, '400 emitted');
      clearInterval(ticker);
      const all = (await t.poll(`/api/v1/jobs/${job.id}/events?since=0&limit=1000`)).events.map((e) => e.id);
      await second.waitFor(
        (frames) => frames.some((f) => f.id === String(all[all.length - 1])),
        5000,
        'the last event',
      );
      const resumed = second.events().map((e) => e.id);
      expect(resumed[0]).toBe(lastId + 1);
      expect([...received.map((e) => e.id), ...resumed]).toEqual(all);
    } finally {
      clearInterval(ticker);
    }
  });

  it('replays a long history across pages while new events arrive, exactly once each', async () => {
    const job = await t.createJob();
    for (let i = 0; i < 1800; i++) await emitter.record(logLine(job.id, i));
    const sse = await stream(`/api/v1/jobs/${job.id}/events?last_event_id=0`);
    for (let i = 1800; i < 1900; i++) {
      await emitter.record(logLine(job.id, i));
      if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const all = (await t.poll(`/api/v1/jobs/${job.id}/events?since=0&limit=1000`)).events.map((e) => e.id);
    const rest = (await t.poll(`/api/v1/jobs/${job.id}/events?since=${all[all.length - 1]}&limit=1000`)).events.map(
      (e) => e.id,
    );
    const expected = [...all, ...rest];
    expect(expected).toHaveLength(1901);
    await sse.waitFor((frames) => frames.filter((f) => f.id).length >= 1901, 10000, '1901 events');
    expect(sse.events().map((e) => e.id)).toEqual(expected);
  });

  it('streams on GET …/events when the client asks for text/event-stream (job and global routes)', async () => {
    const job = await t.createJob();
    const perJob = await stream(`/api/v1/jobs/${job.id}/events?since=0`);
    const global = await stream(`/api/v1/events?job_id=${job.id}&since=0`);
    for (const sse of [perJob, global]) {
      await sse.waitFor((frames) => frames.some((f) => f.json?.type === 'job_created'));
      expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(sse.events().map((e) => e.job_id)).toEqual([job.id]);
    }
  });

  it('filters streams by types, stage and job_id, in replay and live', async () => {
    const job = await t.createJob();
    const other = await t.createJob();
    await emitter.record(logLine(job.id, 1));
    await emitter.record({ ...logLine(job.id, 2), stage: 'outline' });
    const byType = await stream(`/api/v1/jobs/${job.id}/events/stream?since=0&types=stage_log`);
    const byStage = await stream(`/api/v1/events/stream?since=0&job_id=${job.id}&stage=outline`);
    await emitter.record(logLine(other.id, 3));
    await emitter.record(logLine(job.id, 4));
    await byType.waitFor((frames) => frames.filter((f) => f.id).length >= 3);
    expect(byType.events().map((e) => e.message)).toEqual(['line 1', 'line 2', 'line 4']);
    await byStage.waitFor((frames) => frames.filter((f) => f.id).length >= 1);
    expect(byStage.events().map((e) => e.message)).toEqual(['line 2']);
  });

  it('answers an unknown job with a plain JSON 404 before any stream starts', async () => {
    const sse = await stream('/api/v1/jobs/00000000-0000-4000-8000-000000000000/events/stream');
    await sse.ended;
    expect(sse.status).toBe(404);
    expect(sse.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(sse.body())).toMatchObject({ statusCode: 404, detail: expect.stringContaining('not found') });
  });

  it('accepts ?access_token= on stream routes only', async () => {
    const job = await t.createJob();
    const ok = await openSse(`${t.baseUrl}/api/v1/jobs/${job.id}/events/stream?access_token=${t.token}`);
    open.push(ok);
    await ok.waitFor((frames) => frames.length >= 1);
    expect(ok.status).toBe(200);
    await t.http().get(`/api/v1/jobs/${job.id}?access_token=${t.token}`).expect(401);
  });

  it('unsubscribes a client that disconnects at once: no subscription or timer left', async () => {
    const sse = t.app.get(SseService);
    const bus = t.app.get(EventBus);
    await waitFor(() => sse.openStreams === 0, 3000, 'earlier streams to close');
    const baseline = bus.subscriberCount;
    const job = await t.createJob();
    const clients = await Promise.all([1, 2, 3].map(() => stream(`/api/v1/jobs/${job.id}/events/stream`)));
    await Promise.all(clients.map((c) => c.waitFor((frames) => frames.length >= 1)));
    expect(sse.openStreams).toBe(3);
    expect(bus.subscriberCount).toBe(baseline + 3);
    for (const client of clients) client.close();
    await waitFor(() => sse.openStreams === 0 && bus.subscriberCount === baseline, 2000, 'clean-up');
  });

  it('cuts off a client that does not read after max_backlog frames; its resume loses nothing', async () => {
    const sse = t.app.get(SseService);
    await waitFor(() => sse.openStreams === 0, 3000, 'earlier streams to close');
    const job = await t.createJob();
    const slow = await openSlowReader(t.baseUrl, `/api/v1/jobs/${job.id}/events/stream`, t.token);
    await waitFor(() => sse.openStreams === 1, 2000, 'the slow stream');
    // Enough data to fill the socket buffers (loopback buffers can grow to megabytes) and then the backlog.
    const big = 'x'.repeat(8000);
    for (let i = 0; i < 20000 && sse.openStreams > 0; i++) {
      await emitter.record({ ...logLine(job.id, i), payload: { stream: 'stdout', line: big } });
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => sse.openStreams === 0, 5000, 'the slow client to be cut off');
    slow.destroy();
    expect(t.logs()).toContain('SSE client too slow');
    const resumed = await stream(`/api/v1/jobs/${job.id}/events/stream`, { 'Last-Event-ID': '0' });
    const lastId = (await t.poll(`/api/v1/events?job_id=${job.id}&limit=1`)).next_since as number;
    await resumed.waitFor((frames) => frames.some((f) => f.id === String(lastId)), 10000, 'the whole history');
    const ids = resumed.events().map((e) => e.id);
    const stored = (await allEvents(t, job.id)).map((event) => event.id);
    expect(ids.slice(0, stored.length)).toEqual(stored);
  });

  it('keeps a replay that falls more than max_backlog live events behind, reading them from the store instead', async () => {
    const sse = t.app.get(SseService);
    await waitFor(() => sse.openStreams === 0, 3000, 'earlier streams to close');
    const job = await t.createJob();
    for (let i = 0; i < 20_000; i++) await emitter.record(logLine(job.id, i));
    const replaying = await stream(`/api/v1/jobs/${job.id}/events/stream?since=0`);
    await replaying.waitFor((frames) => frames.length >= 1, 5000, 'the connected frame');
    // More live events than max_backlog (200) commit while 200 pages of history are still to be sent.
    await Promise.all(Array.from({ length: 400 }, (_, i) => emitter.record(logLine(job.id, 20_000 + i))));
    const lastId = (await t.poll(`/api/v1/events?job_id=${job.id}&limit=1`)).next_since as number;
    // The newest stored frame is the last one with an id: looking from the end keeps this check cheap.
    const newestId = (frames: { id?: string }[]) => {
      for (let i = frames.length - 1; i >= 0; i--) if (frames[i].id !== undefined) return frames[i].id;
      return undefined;
    };
    await replaying.waitFor((frames) => newestId(frames) === String(lastId), 10000, 'every event');
    const ids = replaying.events().map((e) => e.id);
    expectIncreasing(ids);
    const stored = (await allEvents(t, job.id)).map((event) => event.id);
    expect(ids).toEqual(stored);
  });
});

/** A client that sends the request and then never reads: the server's writes pile up. */
function openSlowReader(baseUrl: string, path: string, token: string): Promise<import('node:net').Socket> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const net = require('node:net') as typeof import('node:net');
    const socket = net.connect({ host: hostname, port: Number(port), readable: true });
    socket.once('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nAccept: text/event-stream\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      );
      socket.pause();
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

describe('SSE at shutdown', () => {
  it('ends open streams when the app closes, so closing does not hang', async () => {
    const t = await bootTestApp();
    try {
      const job = await t.createJob();
      const sse = await openSse(`${t.baseUrl}/api/v1/jobs/${job.id}/events/stream`, t.auth);
      await sse.waitFor((frames) => frames.length >= 1);
      const closed = t.close().then(() => 'closed');
      const timeout = new Promise((resolve) => setTimeout(() => resolve('timed out'), 5000));
      expect(await Promise.race([closed, timeout])).toBe('closed');
      await sse.ended;
    } finally {
      removeDir(t.dir);
    }
  });
});
