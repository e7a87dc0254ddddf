import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { TestApp, bootTestApp, removeDir, waitFor } from './helpers/app';
import { decide, waitForGate } from './helpers/jobs';
import { openSse } from './helpers/sse';

/** Every file under dir, recursively (the SQLite file and its WAL included). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

describe('the admin token stays secret', () => {
  let t: TestApp;
  const seen: string[] = [];
  beforeAll(async () => {
    t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 0.01 } } });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('appears in no response, log line or file written while the service works', async () => {
    const record = (response: { text?: string; headers: Record<string, unknown> }) =>
      seen.push(response.text ?? '', JSON.stringify(response.headers));
    const job = await t.createJob({ slug: 'secret', intent: 'keep it' });
    record(await t.http().get(`/api/v1/jobs/${job.id}`).set(t.auth));
    record(
      await t
        .http()
        .get('/api/v1/jobs')
        .set({ Authorization: `Bearer ${t.token}x` }),
    );
    record(await t.http().get(`/api/v1/jobs?access_token=${t.token}`));
    // Key and value percent-encoded: Express decodes both, so this is the token too.
    const encodedToken = [...t.token].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
    record(await t.http().get(`/api/v1/jobs?access%5Ftoken=${encodedToken}`));
    record(await t.http().get(`/api/v1/jobs/${job.id}/events?since=0&access_token=${t.token}`).set(t.auth));
    // A token pasted into the wrong field comes back in no error detail.
    record(await t.http().get(`/api/v1/jobs?status=${t.token}`).set(t.auth).expect(400));
    record(await t.http().get(`/api/v1/jobs/${job.id}/events?types=${t.token}`).set(t.auth).expect(400));
    const stream = await openSse(`${t.baseUrl}/api/v1/jobs/${job.id}/events/stream?since=0&access_token=${t.token}`);
    await stream.waitFor((frames) => frames.some((f) => f.json?.type === 'job_created'));
    stream.close();
    seen.push(stream.body(), JSON.stringify(stream.headers));
    await waitForGate(t, job.id, 'script');
    await decide(t, job.id, 'approve', { stage: 'script', notes: 'fine' });
    await waitFor(() => t.logs().includes('gate_approved'), 3000, 'the approval to be logged');

    expect(t.logs().length).toBeGreaterThan(0);
    // Request lines are logged (at debug) with the query token redacted.
    expect(t.logs()).toContain('access_token=***');
    expect(t.logs()).toContain('access%5Ftoken=***');
    expect(t.logs()).not.toContain(encodedToken);
    const token = Buffer.from(t.token);
    for (const text of [...seen, t.logs()]) expect(text.includes(t.token)).toBe(false);
    const files = filesUnder(t.dir).filter((path) => !path.endsWith('operator.yaml'));
    expect(files.some((path) => path.endsWith('jobs.db'))).toBe(true);
    for (const path of files) {
      expect([path, readFileSync(path).includes(token)]).toEqual([path, false]);
    }
  });
});
