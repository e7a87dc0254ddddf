import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGES } from '../src/domain/stages';
import { TestApp, bootTestApp, removeDir } from './helpers/app';
import { allEvents, waitForStatus } from './helpers/jobs';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('jobs', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Slow stages keep new jobs at their first stage while these tests look at them.
    t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 30 } } });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('creates a job with the shape of docs/API.md, "Jobs", its brief and its state on disk', async () => {
    const response = await t
      .http()
      .post('/api/v1/jobs')
      .set(t.auth)
      .send({
        slug: 'shape',
        intent: 'An explainer',
        brief: { audience: 'kids' },
        brief_config: { render: { fps: 24 } },
        meta: { ticket: 'T-1' },
        operator: 'maria',
      })
      .expect(201);
    const job = response.body;
    expect(job.id).toMatch(UUID_V4);
    expect(job).toMatchObject({
      slug: 'shape',
      intent: 'An explainer',
      status: 'queued',
      stage: 'outline',
      operator: 'maria',
      artifacts: [],
    });
    expect(job.cfg).toMatchObject({
      brief: { slug: 'shape', intent: 'An explainer', audience: 'kids', render: { fps: 24 } },
      render: { fps: 24 },
      models: {},
      modules: {},
      meta: { ticket: 'T-1' },
    });
    expect(Date.parse(job.cfg.captured_at)).not.toBeNaN();
    expect(job.gates.map((g: any) => g.stage)).toEqual(STAGES);
    expect(job.gates.filter((g: any) => g.required).map((g: any) => g.stage)).toEqual([
      'script',
      'storyboard',
      'assets',
      'audio',
    ]);
    expect(job.gates[0]).toEqual({
      stage: 'outline',
      required: false,
      approved: null,
      by: null,
      at: null,
      notes: null,
      patch: null,
      auto_approved: false,
      timeout_seconds: 1800,
    });
    const brief = JSON.parse(readFileSync(join(t.runsDir, job.id, 'compiled_brief.json'), 'utf8'));
    expect(brief).toEqual(job.cfg.brief);
    const state = JSON.parse(readFileSync(join(t.runsDir, job.id, 'state.json'), 'utf8'));
    expect(Object.keys(state).sort()).toEqual(['artifacts', 'gates', 'id', 'slug', 'stage', 'status', 'updated_at']);
    expect(state).toMatchObject({ id: job.id, slug: 'shape' });
    const [created] = await allEvents(t, job.id);
    expect(created).toMatchObject({
      type: 'job_created',
      status: 'queued',
      stage: null,
      payload: { operator: 'maria', slug: 'shape' },
    });
  });

  it('prints the job_created console line in the layout of docs/OPERATIONS.md, "The event pipeline"', async () => {
    const job = await t.createJob({ slug: 'console' });
    const line = t
      .logs()
      .split('\n')
      .find((l) => l.includes(`Job ${job.id} |`) && l.includes('job_created'));
    expect(line).toMatch(
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\[events\\] INFO: Job ${job.id} \\| Stage: - \\| Status: queued \\| Type: job_created \\| Message: Job created: console \\| Payload: operator: admin, slug: console$`,
      ),
    );
  });

  it('lists jobs newest first, by status and with a limit', async () => {
    const a = await t.createJob({ slug: 'list-a' });
    const b = await t.createJob({ slug: 'list-b' });
    const all = (await t.http().get('/api/v1/jobs').set(t.auth).expect(200)).body;
    expect(all.findIndex((j: any) => j.id === b.id)).toBeLessThan(all.findIndex((j: any) => j.id === a.id));
    expect((await t.http().get('/api/v1/jobs?limit=1').set(t.auth).expect(200)).body.map((j: any) => j.id)).toEqual([
      b.id,
    ]);
    await t.http().post(`/api/v1/jobs/${a.id}/cancel`).set(t.auth).send({}).expect(200);
    const canceled = (await t.http().get('/api/v1/jobs?status=canceled').set(t.auth).expect(200)).body;
    expect(canceled.map((j: any) => j.id)).toContain(a.id);
    expect(canceled.every((j: any) => j.status === 'canceled')).toBe(true);
    expect((await t.http().get(`/api/v1/jobs/${b.id}`).set(t.auth).expect(200)).body.slug).toBe('list-b');
  });

  it('cancels with job_canceled naming the operator and updates state.json', async () => {
    const job = await t.createJob({ slug: 'cancel-me' });
    const response = await t
      .http()
      .post(`/api/v1/jobs/${job.id}/cancel`)
      .set(t.auth)
      .send({ operator: 'ops' })
      .expect(200);
    expect(response.body).toEqual({ message: 'Job canceled successfully' });
    const events = await allEvents(t, job.id);
    expect(events[events.length - 1]).toMatchObject({
      type: 'job_canceled',
      status: 'canceled',
      payload: { status: 'canceled', operator: 'ops' },
    });
    await waitForStatus(t, job.id, ['canceled']);
    const state = JSON.parse(readFileSync(join(t.runsDir, job.id, 'state.json'), 'utf8'));
    expect(state.status).toBe('canceled');
  });

  it.each(['/healthz', '/api/v1/healthz'])('answers %s without a token', async (path) => {
    const { body } = await t.http().get(path).expect(200);
    expect(body).toMatchObject({
      ok: true,
      status: 'healthy',
      version: expect.any(String),
      services: { database: 'healthy', storage: 'healthy' },
    });
    expect(Date.parse(body.timestamp)).not.toBeNaN();
  });
});
