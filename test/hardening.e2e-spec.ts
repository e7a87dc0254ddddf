import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestApp, bootTestApp, removeDir } from './helpers/app';
import { SseClient, openSse } from './helpers/sse';

const SLOW = { pipeline: { simulate: { stage_seconds: 30 } } };

async function withApp(overrides: Record<string, unknown>, body: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await bootTestApp(overrides);
  try {
    await body(t);
  } finally {
    await t.close();
    removeDir(t.dir);
  }
}

describe('config routes', () => {
  it('serves the running config without the token in any form', async () => {
    await withApp({ security: { default_token: 'shipped-default-token-123' } }, async (t) => {
      const { body, text } = await t.http().get('/api/v1/config/operator').set(t.auth).expect(200);
      expect(body.server.port).toBe(0);
      expect(body.gates.script.required).toBe(true);
      expect(body.security.admin_token_env).toBe('ADMIN_TOKEN');
      expect(body.security.default_token).toBeUndefined();
      expect(text).not.toContain(t.token);
      expect(text).not.toContain('shipped-default-token-123');
      await t.http().get('/api/v1/config/operator').expect(401);
    });
  });

  it('validates the config file, the database and the runs dir, always with a 200', async () => {
    await withApp({}, async (t) => {
      const ok = (await t.http().post('/api/v1/config/validate').set(t.auth).expect(200)).body;
      expect(ok).toMatchObject({ valid: true, message: expect.stringContaining('Configuration valid') });
      expect(Date.parse(ok.timestamp)).not.toBeNaN();
      const path = join(t.dir, 'operator.yaml');
      const original = readFileSync(path, 'utf8');
      writeFileSync(path, original + '\npipeline:\n  stage_timeouts: {script: -1}\n');
      const bad = (await t.http().post('/api/v1/config/validate').set(t.auth).expect(200)).body;
      expect(bad).toMatchObject({ valid: false, message: expect.stringContaining('pipeline.stage_timeouts.script') });
    });
  });
});

describe('rate limits', () => {
  it('refuses the 6th job creation in a minute with 429, Retry-After and a detail', async () => {
    await withApp({ ...SLOW, security: { rate_limiting: { enabled: true } } }, async (t) => {
      for (let i = 0; i < 5; i++) await t.createJob({ slug: `limited-${i}` });
      const refused = await t.http().post('/api/v1/jobs').set(t.auth).send({ slug: 'sixth', intent: 'x' }).expect(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      // The IETF RateLimit fields, one item per limit; none of the library's non-standard headers.
      expect(refused.headers['ratelimit-policy']).toBe('"requests";q=70;w=60, "jobs";q=5;w=60');
      expect(refused.headers['ratelimit']).toMatch(/^"requests";r=\d+;t=\d+, "jobs";r=0;t=\d+$/);
      expect(Object.keys(refused.headers).filter((h) => /^(x-ratelimit|retry-after-)/.test(h))).toEqual([]);
      expect(refused.body).toMatchObject({
        statusCode: 429,
        detail: expect.stringContaining('at most 5 job creations a minute'),
      });
      // Other routes still answer: the job limit is its own.
      await t.http().get('/api/v1/jobs').set(t.auth).expect(200);
    });
  });

  it('limits API requests per client with burst head-room, but never /healthz', async () => {
    const limits = { enabled: true, api_requests_per_minute: 5, burst_size: 2, job_creation_per_minute: 5 };
    await withApp({ security: { rate_limiting: limits } }, async (t) => {
      for (let i = 0; i < 7; i++) {
        const answer = await t.http().get('/api/v1/jobs').set(t.auth).expect(200);
        expect(answer.headers['ratelimit']).toMatch(new RegExp(`^"requests";r=${6 - i};t=\\d+$`));
      }
      const refused = await t.http().get('/api/v1/jobs').set(t.auth).expect(429);
      expect(refused.body.detail).toContain('at most 7 requests a minute');
      expect(refused.headers['retry-after']).toBeDefined();
      for (let i = 0; i < 20; i++) await t.http().get('/healthz').expect(200);
      await t.http().get('/api/v1/healthz').expect(200);
    });
  });

  it.each([
    [false, 'ignores X-Forwarded-For: every client behind the proxy shares its limit', 429],
    [1, 'counts each forwarded client on its own with trust_proxy 1', 200],
    [['127.0.0.1'], 'counts each forwarded client on its own when the proxy address is listed', 200],
  ])('trust_proxy %j %s', async (trustProxy, _what, secondClient) => {
    const limits = { enabled: true, api_requests_per_minute: 2, burst_size: 0, job_creation_per_minute: 5 };
    await withApp({ server: { trust_proxy: trustProxy }, security: { rate_limiting: limits } }, async (t) => {
      const from = (address: string) => t.http().get('/api/v1/jobs').set(t.auth).set('X-Forwarded-For', address);
      await from('203.0.113.7').expect(200);
      await from('203.0.113.7').expect(200);
      await from('203.0.113.7').expect(429);
      await from('198.51.100.9').expect(secondClient);
    });
  });

  it('counts an SSE stream once when it opens, however long it lives', async () => {
    const limits = { enabled: true, api_requests_per_minute: 2, burst_size: 0, job_creation_per_minute: 5 };
    await withApp({ events: { heartbeat_seconds: 0.05 }, security: { rate_limiting: limits } }, async (t) => {
      const stream = await openSse(`${t.baseUrl}/api/v1/events/stream`, t.auth);
      try {
        await stream.waitFor(
          (frames) => frames.filter((f) => f.json?.type === 'heartbeat').length >= 5,
          3000,
          'heartbeats',
        );
        await t.http().get('/api/v1/jobs').set(t.auth).expect(200);
        await t.http().get('/api/v1/jobs').set(t.auth).expect(429);
      } finally {
        stream.close();
      }
    });
  });

  it('refuses one stream more than max_streams_per_client with a 429', async () => {
    await withApp({ security: { max_streams_per_client: 3 } }, async (t) => {
      const open: SseClient[] = [];
      try {
        for (let i = 0; i < 3; i++) {
          const stream = await openSse(`${t.baseUrl}/api/v1/events/stream`, t.auth);
          open.push(stream);
          await stream.waitFor((frames) => frames.length >= 1);
        }
        const refused = await openSse(`${t.baseUrl}/api/v1/events/stream`, t.auth);
        await refused.ended;
        expect(refused.status).toBe(429);
        expect(JSON.parse(refused.body()).detail).toContain('at most 3 per client');
        open.pop()?.close();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const again = await openSse(`${t.baseUrl}/api/v1/events/stream`, t.auth);
        open.push(again);
        await again.waitFor((frames) => frames.length >= 1);
        expect(again.status).toBe(200);
      } finally {
        for (const stream of open) stream.close();
      }
    });
  });
});

describe('security headers and CORS', () => {
  const expectHeaders = (headers: Record<string, unknown>) => {
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(headers['content-security-policy']).toBe("default-src 'self'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['x-xss-protection']).toBe('1; mode=block');
  };

  it('puts the configured headers on JSON, error and SSE responses', async () => {
    await withApp(SLOW, async (t) => {
      expectHeaders((await t.http().get('/api/v1/jobs').set(t.auth).expect(200)).headers);
      expectHeaders((await t.http().get('/api/v1/jobs').expect(401)).headers);
      expectHeaders((await t.http().get('/healthz').expect(200)).headers);
      const stream = await openSse(`${t.baseUrl}/api/v1/events/stream`, t.auth);
      try {
        await stream.waitFor((frames) => frames.length >= 1);
        expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
        expectHeaders(stream.headers);
      } finally {
        stream.close();
      }
    });
  });

  it('sends no CORS header to any origin when CORS is off', async () => {
    await withApp({}, async (t) => {
      const response = await t.http().get('/api/v1/jobs').set(t.auth).set('Origin', 'https://console.example');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await t
        .http()
        .options('/api/v1/jobs')
        .set('Origin', 'https://console.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('allows only the configured origins when CORS is on, and answers preflights', async () => {
    const cors = { enabled: true, allow_origins: ['https://console.example'], allow_credentials: true, max_age: 600 };
    await withApp({ security: { cors } }, async (t) => {
      const preflight = await t
        .http()
        .options('/api/v1/jobs')
        .set('Origin', 'https://console.example')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'Authorization, Content-Type');
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://console.example');
      expect(preflight.headers['access-control-allow-credentials']).toBe('true');
      expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
      const allowed = await t
        .http()
        .get('/api/v1/jobs')
        .set(t.auth)
        .set('Origin', 'https://console.example')
        .expect(200);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example');
      const other = await t.http().get('/api/v1/jobs').set(t.auth).set('Origin', 'https://evil.example');
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
