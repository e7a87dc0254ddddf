import { TestApp, bootTestApp, removeDir } from './helpers/app';
import { decide, waitForGate } from './helpers/jobs';
import { openSse } from './helpers/sse';

/** Prometheus text → { 'name{labels}': value }. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

describe('/metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 0.01 } } });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });
  const scrape = async () => parseMetrics((await t.http().get('/metrics').set(t.auth).expect(200)).text);

  it('needs the token by default and answers in the Prometheus text format', async () => {
    await t.http().get('/metrics').expect(401);
    const response = await t.http().get('/metrics').set(t.auth).expect(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.text).toContain('# TYPE jobevents_events_emitted_total counter');
    expect(response.text).toContain('# TYPE jobevents_emit_seconds histogram');
  });

  it('moves its counters and gauges with the service', async () => {
    const before = await scrape();
    const created = (key: Map<string, number>) => key.get('jobevents_events_emitted_total{type="job_created"}') ?? 0;
    const job = await t.createJob({ slug: 'metered' });
    await waitForGate(t, job.id, 'script');
    await decide(t, job.id, 'approve', { stage: 'script' });
    const stream = await openSse(`${t.baseUrl}/api/v1/events/stream`, t.auth);
    try {
      await stream.waitFor((frames) => frames.length >= 1);
      const after = await scrape();
      expect(created(after)).toBe(created(before) + 1);
      expect(after.get('jobevents_gate_decisions_total{decision="approved"}')).toBeGreaterThanOrEqual(1);
      expect(after.get('jobevents_sse_streams_open')).toBe(1);
      expect(after.get('jobevents_emit_seconds_count')).toBeGreaterThan(
        before.get('jobevents_emit_seconds_count') ?? 0,
      );
      const jobs = [...after.entries()].filter(([key]) => key.startsWith('jobevents_jobs{'));
      expect(jobs.reduce((sum, [, value]) => sum + value, 0)).toBe(1);
      expect(after.get('jobevents_http_requests_total{route="/api/v1/jobs",status="201"}')).toBe(1);
      expect(after.get('jobevents_http_requests_total{route="/api/v1/jobs/:id/approve",status="200"}')).toBe(1);
    } finally {
      stream.close();
    }
  });
});

describe('/metrics with metrics.public', () => {
  it('answers without a token', async () => {
    const t = await bootTestApp({ metrics: { public: true } });
    try {
      const response = await t.http().get('/metrics').expect(200);
      expect(response.text).toContain('jobevents_jobs');
      await t.http().get('/api/v1/jobs').expect(401);
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });
});
