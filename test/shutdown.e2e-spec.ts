import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { JobEvent } from '../src/domain/events';
import { removeDir } from './helpers/app';
import { openSse } from './helpers/sse';
import { startServer } from './helpers/server-process';

describe('graceful shutdown', () => {
  it('ends every stream with a shutdown frame, exits 0 within 5 s, and loses no event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobevents-shutdown-'));
    const token = 'shutdown-test-token-0123456789';
    const configPath = join(dir, 'operator.yaml');
    writeFileSync(
      configPath,
      stringify({
        // These tests poll in a loop, far beyond the default 70 requests a minute.
        security: { rate_limiting: { enabled: false } },
        storage: { db_path: join(dir, 'jobs.db'), runs_dir: join(dir, 'runs') },
        pipeline: { simulate: { stage_seconds: 0.05 } },
      }),
    );
    const server = await startServer(configPath, token, dir);
    try {
      const auth = { Authorization: `Bearer ${token}` };
      const created = await fetch(`${server.baseUrl}/api/v1/jobs`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ slug: 'stopping', intent: 'stop cleanly' }),
      });
      const job = (await created.json()) as { id: string };
      const streams = await Promise.all([
        openSse(`${server.baseUrl}/api/v1/jobs/${job.id}/events/stream?since=0`, auth),
        openSse(`${server.baseUrl}/api/v1/events/stream`, auth),
      ]);
      await streams[0].waitFor((frames) => frames.some((f) => f.json?.type === 'stage_started'), 5000, 'a stage');

      const signaled = Date.now();
      server.child.kill('SIGTERM');
      const code = await server.exited;
      expect(code).toBe(0);
      expect(Date.now() - signaled).toBeLessThan(5000);
      for (const stream of streams) {
        await stream.ended;
        const last = stream.frames[stream.frames.length - 1];
        expect(last.json).toMatchObject({ type: 'shutdown', stage: null, status: null });
        expect(last.id).toBeUndefined();
      }

      // Every event the stream saw is in events.jsonl, and the file equals the database (read by a restart).
      const restarted = await startServer(configPath, token, dir);
      try {
        const response = await fetch(`${restarted.baseUrl}/api/v1/jobs/${job.id}/events?since=0&limit=1000`, {
          headers: auth,
        });
        const stored = ((await response.json()) as { events: JobEvent[] }).events;
        const seen = streams[0].events().map((e) => e.id);
        expect(stored.map((e) => e.id)).toEqual(expect.arrayContaining(seen));
        const jsonl = readFileSync(join(dir, 'runs', job.id, 'events.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line));
        // The restarted service goes on with the job, so compare what both had at the time they were read.
        const common = Math.min(jsonl.length, stored.length);
        expect(common).toBeGreaterThanOrEqual(seen.length);
        expect(jsonl.slice(0, common)).toEqual(stored.slice(0, common));
      } finally {
        restarted.child.kill('SIGKILL');
        await restarted.exited;
      }
    } finally {
      server.child.kill('SIGKILL');
      removeDir(dir);
    }
  });
});
