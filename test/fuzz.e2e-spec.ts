import http from 'node:http';
import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { TestApp, bootTestApp, removeDir } from './helpers/app';
import { openSse } from './helpers/sse';

const REQUESTS = 2500;
const CONCURRENCY = 8;

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEIRD = [
  '',
  '..',
  '../../etc/passwd',
  '%2e%2e%2f%2e%2e',
  '%00',
  '%FF',
  'ü🙂漢字',
  "'; DROP TABLE events; --",
  '-1',
  '0',
  '1e309',
  '99999999999999999999999999',
  'NaN',
  'null',
  'true',
  '[]',
  '{}',
  ' ',
  'x'.repeat(5000),
  '00000000-0000-4000-8000-000000000000',
  'script',
  'job_created,gate_pause',
  '2026-11-22T10:00:00Z',
];
const ROUTES = [
  'GET /api/v1/jobs',
  'POST /api/v1/jobs',
  'GET /api/v1/jobs/{id}',
  'POST /api/v1/jobs/{id}/cancel',
  'POST /api/v1/jobs/{id}/approve',
  'POST /api/v1/jobs/{id}/reject',
  'POST /api/v1/jobs/{id}/resume',
  'GET /api/v1/jobs/{id}/events',
  'GET /api/v1/jobs/{id}/events/poll',
  'GET /api/v1/jobs/{id}/events/stream',
  'GET /api/v1/jobs/{id}/artifacts',
  'GET /api/v1/jobs/{id}/artifacts/file',
  'GET /api/v1/jobs/{id}/gates/status',
  'GET /api/v1/jobs/{id}/gates/decisions',
  'GET /api/v1/jobs/{id}/gates/{stage}/decision',
  'POST /api/v1/jobs/{id}/patches/{stage}/apply',
  'GET /api/v1/patches/types',
  'GET /api/v1/events',
  'GET /api/v1/events/stream',
  'GET /api/v1/config/operator',
  'POST /api/v1/config/validate',
  'GET /healthz',
  'GET /metrics',
  'GET /{id}',
];
const QUERY_KEYS = [
  'since',
  'limit',
  'types',
  'stage',
  'job_id',
  'path',
  'status',
  'last_event_id',
  'access_token',
  // The token key percent-encoded: Express decodes it, so it must be treated (and masked) as the token.
  'access%5Ftoken',
  'operator',
];

function fuzzCase(random: () => number, jobIds: string[], token: string) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  // Encoded, or raw when the raw text is a valid request target (ASCII, no separators).
  const weird = () => {
    const text = pick(WEIRD);
    return random() < 0.5 || !/^[\x21-\x7e]*$/.test(text) ? encodeURIComponent(text) : text.replace(/[/?#%]/g, '_');
  };
  const [routeMethod, template] = pick(ROUTES).split(' ');
  const method = random() < 0.9 ? routeMethod : pick(['PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  const path = template
    .replace('{id}', () => (random() < 0.5 ? pick(jobIds) : weird()))
    .replace('{stage}', () => (random() < 0.5 ? pick(['script', 'storyboard', 'audio', 'outline']) : weird()));
  const query = Array.from({ length: Math.floor(random() * 4) }, () => `${pick(QUERY_KEYS)}=${weird()}`).join('&');
  const headers: Record<string, string> = {};
  if (random() < 0.85) headers.Authorization = `Bearer ${token}`;
  else if (random() < 0.5) headers.Authorization = pick(['Bearer', 'Basic abc', `Bearer ${weird()}`, 'x'.repeat(3000)]);
  if (random() < 0.2) headers.Accept = 'text/event-stream';
  if (random() < 0.3) headers['Last-Event-ID'] = pick(['1', '-5', 'abc', '1e99', '99999999999999999999']);
  headers['Content-Type'] = pick([
    'application/json',
    'application/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/json; charset=latin-7',
    'garbage/x-unknown',
  ]);
  const body = method === 'GET' || method === 'HEAD' ? undefined : randomBody(random, pick, weird);
  return { method, path: query ? `${path}?${query}` : path, headers, body };
}

function randomBody(random: () => number, pick: <T>(items: readonly T[]) => T, weird: () => string): string {
  const value = (depth: number): unknown => {
    const roll = random();
    if (depth > 4 || roll < 0.3) return pick([weird(), 1e308, -0, 2 ** 64, null, true, '🙂'.repeat(50), 12.5]);
    if (roll < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
    const keys = [
      'slug',
      'intent',
      'brief',
      'brief_config',
      'meta',
      'stage',
      'notes',
      'operator',
      'patch',
      'decision',
      'type',
      'op',
      'path',
      'value',
      'replacements',
      'beat_adjustments',
      'level_change_db',
      weird(),
    ];
    return Object.fromEntries(Array.from({ length: Math.floor(random() * 5) }, () => [pick(keys), value(depth + 1)]));
  };
  const roll = random();
  if (roll < 0.1) return '{"slug": "x", "intent": ';
  if (roll < 0.15) return '['.repeat(5000);
  // Well-formed but deeper than validation may walk: a 400 before anything recurses into it.
  const depth = 60 + Math.floor(random() * 5000);
  if (roll < 0.17) return `{"slug":"deep","intent":"x","brief":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  if (roll < 0.18) return `{"stage":"script","patch":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
  if (roll < 0.2) return JSON.stringify({ slug: 'fuzz', intent: 'valid job', brief: value(0) });
  if (roll < 0.25) return JSON.stringify({ stage: pick(['script', 'storyboard', 'audio']), patch: value(1) });
  return JSON.stringify(value(0));
}

function send(baseUrl: string, request: ReturnType<typeof fuzzCase>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${baseUrl}${request.path}`,
      { method: request.method, headers: request.headers, agent: false },
      (res) => {
        const status = res.statusCode ?? 0;
        if (String(res.headers['content-type']).startsWith('text/event-stream')) {
          res.destroy();
          return resolve(status);
        }
        res.resume();
        res.on('end', () => resolve(status));
        res.on('error', () => resolve(status));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${request.method} ${request.path.slice(0, 200)}`)));
    // One connection per request (agent: false): a reset can only come from the server, and counts as a failure.
    req.on('error', (error) => ((error as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(599) : reject(error)));
    req.end(request.body);
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('fuzzing the running app', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ server: { log_level: 'warning' }, pipeline: { simulate: { stage_seconds: 0.01 } } });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it(`answers ${REQUESTS} malformed requests without a 5xx, stays healthy and writes only under runs/`, async () => {
    const jobIds = [(await t.createJob({ slug: 'fuzz-a' })).id, (await t.createJob({ slug: 'fuzz-b' })).id];
    const random = prng(20261123);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < REQUESTS) {
        next++;
        const request = fuzzCase(random, jobIds, t.token);
        const status = await send(t.baseUrl, request);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500)
          failures.push(
            `${status} ${request.method} ${request.path.slice(0, 200)} ${String(request.body).slice(0, 200)}`,
          );
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
    expect(statuses.get(200)).toBeGreaterThan(100);
    expect((statuses.get(400) ?? 0) + (statuses.get(404) ?? 0)).toBeGreaterThan(500);
    await t.http().get('/healthz').expect(200);
    const outside = filesUnder(t.dir)
      .map((path) => relative(t.dir, path))
      .filter(
        (path) =>
          !path.startsWith('runs/') && !/^(operator\.yaml|console\.log|jobs\.db(-wal|-shm|\.lock)?)$/.test(path),
      );
    expect(outside).toEqual([]);
  });
});

describe('a client that sends its request slower than the server waits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ server: { request_timeout_s: 1 }, events: { heartbeat_seconds: 0.2 } });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('is answered 408 within the request timeout, while a stream outlives it', async () => {
    const { port } = new URL(t.baseUrl);
    const stream = await openSse(`${t.baseUrl}/api/v1/events/stream`, t.auth);
    const socket = connect(Number(port), '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const started = Date.now();
    socket.write(
      `POST /api/v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${t.token}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    // A byte every 300 ms: the body would take 30 s.
    const drip = setInterval(() => socket.writable && socket.write(' '), 300);
    try {
      await closed;
      expect(Date.now() - started).toBeLessThan(3000);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      const heartbeats = stream.frames.filter((frame) => frame.json?.type === 'heartbeat').length;
      await stream.waitFor(
        (frames) => frames.filter((frame) => frame.json?.type === 'heartbeat').length > heartbeats,
        2000,
        'the stream to go on past the request timeout',
      );
    } finally {
      clearInterval(drip);
      socket.destroy();
      stream.close();
    }
  });
});
