import { TestApp, bootTestApp, removeDir } from './helpers/app';
import { openSse } from './helpers/sse';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp();
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('creates a job and streams its job_created event', async () => {
    const job = await t.createJob();
    const sse = await openSse(`${t.baseUrl}/api/v1/jobs/${job.id}/events/stream?since=0`, t.auth);
    await sse.waitFor((frames) => frames.some((f) => f.json?.type === 'job_created'));
    sse.close();
    expect(sse.frames[0].json.type).toBe('connected');
    expect(sse.frames[0].id).toBeUndefined();
    expect(sse.events().map((e) => e.type)).toEqual(['job_created']);
  });
});
