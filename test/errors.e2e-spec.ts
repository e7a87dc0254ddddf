import { TestApp, bootTestApp, removeDir } from './helpers/app';

type Call = {
  method: 'get' | 'post';
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  noAuth?: boolean;
};

const NOT_A_UUID = 'not-a-uuid';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('bad input gets a clear 4xx with detail, never a 5xx', () => {
  let t: TestApp;
  let jobId: string;
  beforeAll(async () => {
    t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 30 } } });
    jobId = (await t.createJob({ slug: 'target' })).id;
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  const cases: [string, () => Call, number, string][] = [
    [
      'since that is not an id or a time',
      () => ({ method: 'get', path: `/api/v1/jobs/${jobId}/events?since=abc` }),
      400,
      'since must be',
    ],
    [
      'a negative since',
      () => ({ method: 'get', path: `/api/v1/jobs/${jobId}/events?since=-1` }),
      400,
      'since must be',
    ],
    [
      'a fractional since',
      () => ({ method: 'get', path: `/api/v1/jobs/${jobId}/events?since=1.5` }),
      400,
      'since must be',
    ],
    ['a huge since', () => ({ method: 'get', path: `/api/v1/events?since=99999999999999999999999` }), 400, 'too large'],
    [
      'an impossible date',
      () => ({ method: 'get', path: `/api/v1/events?since=2025-13-45T99:00:00Z` }),
      400,
      'since must be',
    ],
    [
      'limit=0',
      () => ({ method: 'get', path: `/api/v1/jobs/${jobId}/events?limit=0` }),
      400,
      'limit must be an integer from 1 to 1000',
    ],
    [
      'limit=5000',
      () => ({ method: 'get', path: `/api/v1/events?limit=5000` }),
      400,
      'limit must be an integer from 1 to 1000',
    ],
    ['limit=abc', () => ({ method: 'get', path: `/api/v1/jobs/${jobId}/events/poll?limit=abc` }), 400, 'limit must be'],
    [
      'an unknown event type',
      () => ({ method: 'get', path: `/api/v1/jobs/${jobId}/events?types=job_created,nope` }),
      400,
      '"nope" is not an event type',
    ],
    ['an unknown stage', () => ({ method: 'get', path: `/api/v1/events?stage=nope` }), 400, 'stage must be one of'],
    [
      'a repeated since',
      () => ({ method: 'get', path: `/api/v1/events?since=1&since=2` }),
      400,
      'since must be given once',
    ],
    [
      'a job_id that is not a UUID',
      () => ({ method: 'get', path: `/api/v1/events?job_id=${NOT_A_UUID}` }),
      400,
      'job_id must be',
    ],
    [
      'a bad Last-Event-ID',
      () => ({ method: 'get', path: `/api/v1/jobs/${jobId}/events/stream`, headers: { 'Last-Event-ID': 'x' } }),
      400,
      'Last-Event-ID must be',
    ],
    ['a non-UUID job', () => ({ method: 'get', path: `/api/v1/jobs/${NOT_A_UUID}` }), 404, 'not found'],
    [
      'a non-UUID job on events',
      () => ({ method: 'get', path: `/api/v1/jobs/${NOT_A_UUID}/events` }),
      404,
      'not found',
    ],
    [
      'a non-UUID job on poll',
      () => ({ method: 'get', path: `/api/v1/jobs/..%2F..%2Fetc/events/poll` }),
      404,
      'not found',
    ],
    [
      'a non-UUID job on stream',
      () => ({ method: 'get', path: `/api/v1/jobs/${NOT_A_UUID}/events/stream` }),
      404,
      'not found',
    ],
    [
      'a non-UUID job on cancel',
      () => ({ method: 'post', path: `/api/v1/jobs/${NOT_A_UUID}/cancel`, body: {} }),
      404,
      'not found',
    ],
    [
      'a non-UUID job on approve',
      () => ({ method: 'post', path: `/api/v1/jobs/${NOT_A_UUID}/approve`, body: { stage: 'script' } }),
      404,
      'not found',
    ],
    ['an unknown job', () => ({ method: 'get', path: `/api/v1/jobs/${UNKNOWN}` }), 404, `Job ${UNKNOWN} not found`],
    ['an unknown job on events', () => ({ method: 'get', path: `/api/v1/jobs/${UNKNOWN}/events` }), 404, 'not found'],
    [
      'an unknown job on cancel',
      () => ({ method: 'post', path: `/api/v1/jobs/${UNKNOWN}/cancel`, body: {} }),
      404,
      'not found',
    ],
    [
      'an unknown job on the global stream',
      () => ({ method: 'get', path: `/api/v1/events?job_id=${UNKNOWN}` }),
      404,
      'not found',
    ],
    ['malformed JSON', () => ({ method: 'post', path: '/api/v1/jobs', raw: '{"slug": "x", ' }), 400, 'Malformed JSON'],
    [
      'a 2 MiB body',
      () => ({
        method: 'post',
        path: '/api/v1/jobs',
        raw: JSON.stringify({ slug: 'big', intent: 'x'.repeat(2 * 1024 * 1024) }),
      }),
      413,
      'too large',
    ],
    ['a missing slug', () => ({ method: 'post', path: '/api/v1/jobs', body: { intent: 'x' } }), 400, 'slug'],
    ['a missing intent', () => ({ method: 'post', path: '/api/v1/jobs', body: { slug: 'x' } }), 400, 'intent'],
    [
      'a slug with a slash',
      () => ({ method: 'post', path: '/api/v1/jobs', body: { slug: 'a/b', intent: 'x' } }),
      400,
      'slug must start',
    ],
    [
      'a slug that is ..',
      () => ({ method: 'post', path: '/api/v1/jobs', body: { slug: '..', intent: 'x' } }),
      400,
      'slug must start',
    ],
    ['a numeric slug', () => ({ method: 'post', path: '/api/v1/jobs', body: { slug: 5, intent: 'x' } }), 400, 'slug'],
    [
      'a brief that is a list',
      () => ({ method: 'post', path: '/api/v1/jobs', body: { slug: 'x', intent: 'y', brief: [1] } }),
      400,
      'brief must be an object or a string',
    ],
    ['a body that is a list', () => ({ method: 'post', path: '/api/v1/jobs', raw: '[1,2]' }), 400, ''],
    ['a body that is a string', () => ({ method: 'post', path: '/api/v1/jobs', raw: '"x"' }), 400, ''],
    [
      'status=nope on the job list',
      () => ({ method: 'get', path: '/api/v1/jobs?status=nope' }),
      400,
      'status must be one of',
    ],
    ['limit=0 on the job list', () => ({ method: 'get', path: '/api/v1/jobs?limit=0' }), 400, 'limit must be'],
    [
      'approve without a stage',
      () => ({ method: 'post', path: `/api/v1/jobs/${jobId}/approve`, body: {} }),
      400,
      'stage',
    ],
    [
      'approve of an unknown stage',
      () => ({ method: 'post', path: `/api/v1/jobs/${jobId}/approve`, body: { stage: 'nope' } }),
      404,
      "Gate 'nope' not found",
    ],
    [
      'approve with decision rejected',
      () => ({ method: 'post', path: `/api/v1/jobs/${jobId}/approve`, body: { stage: 'audio', decision: 'rejected' } }),
      400,
      'decision must be',
    ],
    ['no token', () => ({ method: 'get', path: '/api/v1/jobs', noAuth: true }), 401, 'Missing bearer token'],
    [
      'a wrong token',
      () => ({ method: 'get', path: '/api/v1/jobs', noAuth: true, headers: { Authorization: 'Bearer wrong' } }),
      401,
      'Invalid token',
    ],
    [
      'basic auth',
      () => ({
        method: 'get',
        path: '/api/v1/jobs',
        noAuth: true,
        headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' },
      }),
      401,
      'Missing bearer token',
    ],
    [
      'a query token on a non-stream route',
      () => ({ method: 'get', path: '/api/v1/jobs?access_token=wrong', noAuth: true }),
      401,
      'Missing bearer token',
    ],
    [
      'a body nested 4,000 levels deep',
      () => ({
        method: 'post',
        path: '/api/v1/jobs',
        raw: '{"slug":"deep","intent":"x","brief":' + '['.repeat(4000) + ']'.repeat(4000) + '}',
      }),
      400,
      'nested deeper than 64 levels',
    ],
    [
      'a patch nested 4,000 levels deep',
      () => ({
        method: 'post',
        path: `/api/v1/jobs/${jobId}/approve`,
        raw: '{"stage":"script","patch":' + '{"a":'.repeat(4000) + '1' + '}'.repeat(4000) + '}',
      }),
      400,
      'nested deeper than 64 levels',
    ],
    ['a path with broken percent-encoding', () => ({ method: 'get', path: '/api/v1/jobs/%FF' }), 400, ''],
    ['an unknown route under /api/v1', () => ({ method: 'get', path: '/api/v1/nope' }), 404, 'Cannot GET'],
    ['an unknown route outside /api/v1', () => ({ method: 'get', path: '/nope/at/all' }), 404, 'Cannot GET'],
  ];

  it.each(cases)('answers %s with the right status and a detail', async (_name, makeCall, status, detail) => {
    const call = makeCall();
    let request = t.http()[call.method](call.path);
    if (!call.noAuth) request = request.set(t.auth);
    if (call.headers) request = request.set(call.headers);
    if (call.raw !== undefined) request = request.set('Content-Type', 'application/json').send(call.raw);
    else if (call.body !== undefined) request = request.send(call.body as object);
    const response = await request;
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(response.body).toMatchObject({ statusCode: status, detail: expect.any(String) });
    expect(response.body.detail).toContain(detail);
    if (status === 401) expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('answers 409 to cancelling a canceled job, and the service stays healthy', async () => {
    const job = await t.createJob({ slug: 'twice' });
    await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({}).expect(200);
    const again = await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({}).expect(409);
    expect(again.body.detail).toContain('canceled');
    await t.http().get('/healthz').expect(200);
  });
});
