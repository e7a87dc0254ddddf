import http, { IncomingHttpHeaders, RequestListener } from 'node:http';
import { AddressInfo } from 'node:net';
import { OperatorConfig } from '../src/config/operator-config';
import { PollFastPath } from '../src/events/poll-fast-path';
import { apiSecurityHeaders } from '../src/security/http-hardening';
import { RateLimits } from '../src/security/rate-limits';
import { TestApp, bootTestApp, removeDir } from './helpers/app';
import { waitForGate } from './helpers/jobs';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(baseUrl: string, path: string, headers: Record<string, string>, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${path}`, { method, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

async function listen(listener: RequestListener): Promise<{ server: http.Server; baseUrl: string }> {
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The headers two answers to the same request may differ in. */
const PER_ANSWER = ['date'];

function comparable({ status, headers, body }: Answer) {
  const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_ANSWER.includes(name)));
  // What is left of the client's limit goes down by one from one answer to the next.
  if (typeof kept.ratelimit === 'string') kept.ratelimit = kept.ratelimit.replace(/;r=\d+;t=\d+/, ';r=-;t=-');
  // The page's own `timestamp` is the time of the answer.
  return { status, headers: kept, body: { ...JSON.parse(body), timestamp: '-' } };
}

const LIMITS_OFF = { enabled: false };
/** High enough that the tests below never reach it: each answer still counts and carries RateLimit. */
const LIMITS_ON = { enabled: true, api_requests_per_minute: 1000, job_creation_per_minute: 10 };

describe.each([
  ['rate limits off', LIMITS_OFF],
  ['rate limits on', LIMITS_ON],
])('the polling fast path (events/poll-fast-path.ts), %s', (_name, limits) => {
  let t: TestApp;
  let jobId: string;
  /** The app's Express handler alone: every request routed through Nest. */
  let routedOnly: { server: http.Server; baseUrl: string };
  /** The fast path in front of that handler, counting what it hands on. */
  let fast: { server: http.Server; baseUrl: string };
  let handedOn: string[];

  beforeAll(async () => {
    t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 0.01 } }, security: { rate_limiting: limits } });
    jobId = (await t.createJob({ slug: 'fast' })).id;
    await waitForGate(t, jobId, 'script');
    const express = t.app.getHttpAdapter().getInstance() as RequestListener;
    routedOnly = await listen(express);
    fast = await listen(
      t.app.get(PollFastPath).listener(
        (request, response) => {
          handedOn.push(`${request.method} ${request.url}`);
          express(request, response);
        },
        {
          securityHeaders: apiSecurityHeaders(t.app.get(OperatorConfig)),
          countAnswer: () => undefined,
          rateLimits: limits.enabled ? t.app.get(RateLimits) : undefined,
        },
      ),
    );
  });
  beforeEach(() => (handedOn = []));
  afterAll(async () => {
    for (const { server } of [routedOnly, fast]) await new Promise((resolve) => server.close(resolve));
    await t.close();
    removeDir(t.dir);
  });

  it('answers a valid poll itself, with the routed answer: status, every header, body', async () => {
    const paths = [
      `/api/v1/jobs/${jobId}/events?since=0`,
      `/api/v1/jobs/${jobId.toUpperCase()}/events/poll?since=2&limit=3`,
      `/api/v1/jobs/${jobId}/events`,
      `/api/v1/jobs/${jobId}/events?since=999999`,
      `/api/v1/events?job_id=${jobId}&types=job_created,stage_started&limit=2`,
      `/api/v1/events?since=${encodeURIComponent(new Date(0).toISOString())}`,
    ];
    for (const path of paths) {
      const answered = await get(fast.baseUrl, path, t.auth);
      const routed = await get(routedOnly.baseUrl, path, t.auth);
      expect(comparable(answered)).toEqual(comparable(routed));
      expect({ path, status: answered.status }).toEqual({ path, status: 200 });
    }
    expect(handedOn).toEqual([]);
  });

  it('hands every other request to the routed path, whose answer is the only one', async () => {
    const wrong = { Authorization: 'Bearer not-the-token' };
    const cases: [string, string, Record<string, string>][] = [
      ['GET', `/api/v1/jobs/${jobId}/events`, {}],
      ['GET', `/api/v1/jobs/${jobId}/events`, wrong],
      ['GET', '/api/v1/jobs/not-a-uuid/events', t.auth],
      ['GET', '/api/v1/jobs/00000000-0000-4000-8000-000000000000/events', t.auth],
      ['GET', `/api/v1/jobs/${jobId}/events?limit=lots`, t.auth],
      ['GET', `/api/v1/jobs/${jobId}/events?since=yesterday`, t.auth],
      ['GET', '/api/v1/events?job_id=nope', t.auth],
      ['GET', `/api/v1/jobs/${jobId}/events?since=0&since=1`, t.auth],
      ['GET', `/api/v1/jobs/${jobId}/events/`, t.auth],
      ['GET', `/api/v1/jobs/${jobId}`, t.auth],
      ['HEAD', `/api/v1/jobs/${jobId}/events`, t.auth],
      ['DELETE', `/api/v1/jobs/${jobId}/events`, t.auth],
      ['GET', `/api/v1/jobs/${jobId}/events`, { ...t.auth, 'Content-Length': '0' }],
    ];
    for (const [method, path, headers] of cases) {
      handedOn = [];
      const answered = await get(fast.baseUrl, path, headers, method);
      const routed = await get(routedOnly.baseUrl, path, headers, method);
      expect({ method, path, handedOn }).toEqual({ method, path, handedOn: [`${method} ${path}`] });
      expect(answered.status).toBe(routed.status);
      if (answered.status >= 400) expect(JSON.parse(answered.body).detail).toBe(JSON.parse(routed.body).detail);
    }
  });

  it('leaves Accept: text/event-stream to the routed stream', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = http.get(
        `${fast.baseUrl}/api/v1/jobs/${jobId}/events`,
        { headers: { ...t.auth, Accept: 'text/event-stream' }, agent: false },
        (response) => {
          expect(response.headers['content-type']).toContain('text/event-stream');
          response.destroy();
          resolve();
        },
      );
      request.on('error', reject);
    });
    expect(handedOn).toEqual([`GET /api/v1/jobs/${jobId}/events`]);
  });

  it("is the app's own: its answers are counted and logged under the route", async () => {
    const label = `jobevents_http_requests_total{route="/api/v1/jobs/:id/events",status="200"}`;
    const count = async () => {
      const text = (await t.http().get('/metrics').set(t.auth).expect(200)).text;
      const line = text.split('\n').find((l) => l.startsWith(label));
      return line ? Number(line.slice(label.length)) : 0;
    };
    const before = await count();
    const path = `/api/v1/jobs/${jobId}/events?since=1`;
    for (let i = 0; i < 3; i++) await get(t.baseUrl, path, t.auth);
    expect(await count()).toBe(before + 3);
    expect(t.logs()).toContain(`GET ${path} → 200`);
  });
});

describe('the polling fast path with small rate limits, or CORS on', () => {
  it('counts a poll against the limit in one count with the routed requests; the guard refuses the one over it', async () => {
    const t = await bootTestApp({
      security: { rate_limiting: { enabled: true, api_requests_per_minute: 3, burst_size: 0 } },
    });
    try {
      const express = t.app.getHttpAdapter().getInstance();
      expect((t.app.getHttpServer() as http.Server).listeners('request')).not.toContain(express);
      const job = await t.createJob({ slug: 'limited' });
      const poll = `/api/v1/jobs/${job.id}/events`;
      const first = await get(t.baseUrl, poll, t.auth);
      expect(first.status).toBe(200);
      expect(first.headers['ratelimit-policy']).toBe('"requests";q=3;w=60');
      expect(first.headers['ratelimit']).toMatch(/^"requests";r=1;t=\d+$/);
      const routed = await get(t.baseUrl, `/api/v1/jobs/${job.id}`, t.auth);
      expect(routed.headers['ratelimit']).toMatch(/^"requests";r=0;t=\d+$/);
      const refused = await get(t.baseUrl, poll, t.auth);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(JSON.parse(refused.body).detail).toMatch(/^Rate limit exceeded: at most 3 requests a minute/);
      // A client behind the same address, with no token: the same count, so refused too.
      expect((await get(t.baseUrl, poll, {})).status).toBe(429);
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });

  it("is not installed with CORS: a poll carries the CORS middleware's headers", async () => {
    const t = await bootTestApp({ security: { cors: { enabled: true, allow_origins: ['https://console.example'] } } });
    try {
      expect((t.app.getHttpServer() as http.Server).listeners('request')).toEqual([
        t.app.getHttpAdapter().getInstance(),
      ]);
      const job = await t.createJob({ slug: 'cors' });
      const plain = await get(t.baseUrl, `/api/v1/jobs/${job.id}/events`, t.auth);
      expect(plain.headers.vary).toContain('Origin');
      const cross = await get(t.baseUrl, `/api/v1/jobs/${job.id}/events`, {
        ...t.auth,
        Origin: 'https://console.example',
      });
      expect(cross.headers['access-control-allow-origin']).toBe('https://console.example');
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });
});
