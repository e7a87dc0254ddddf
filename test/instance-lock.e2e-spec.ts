import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { removeDir, waitFor } from './helpers/app';
import { ServerProcess, runUntilExit, serverDataDir, startServer } from './helpers/server-process';

const TOKEN = 'lock-test-token-0123456789';

/** A data dir and its config: one slow simulated stage, so a job stays running. */
function dataDir(): { dir: string; configPath: string } {
  return serverDataDir('jobevents-lock-', 30);
}

async function createRunningJob(server: ServerProcess): Promise<string> {
  const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
  const created = await fetch(`${server.baseUrl}/api/v1/jobs`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ slug: 'held', intent: 'stay running' }),
  });
  const { id } = (await created.json()) as { id: string };
  await waitFor(
    async () => {
      const job = (await (await fetch(`${server.baseUrl}/api/v1/jobs/${id}`, { headers })).json()) as {
        status: string;
      };
      return job.status === 'running';
    },
    10000,
    'the job to run',
  );
  return id;
}

/** The job's stored event types, read straight from the SQLite file. */
function storedTypes(dir: string, jobId: string): string[] {
  const db = new BetterSqlite3(join(dir, 'jobs.db'), { readonly: true });
  try {
    return (db.prepare('SELECT type FROM events WHERE job_id = ? ORDER BY id').all(jobId) as { type: string }[]).map(
      (row) => row.type,
    );
  } finally {
    db.close();
  }
}

describe('one process per store', () => {
  it('refuses a second instance on the same data with one line naming the holder, and touches nothing', async () => {
    const { dir, configPath } = dataDir();
    const first = await startServer(configPath, TOKEN, dir);
    try {
      const jobId = await createRunningJob(first);
      const before = storedTypes(dir, jobId);
      const second = await runUntilExit(configPath, TOKEN, dir, 0);
      expect(second.code).toBe(1);
      const lines = second.output.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^\\[database\\] ERROR: .* in use by pid ${first.child.pid} `));
      expect(storedTypes(dir, jobId)).toEqual(before);
      expect((await fetch(`${first.baseUrl}/healthz`)).status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
      removeDir(dir);
    }
  });

  it('exits with one line when its port is taken, having recovered nothing on the way out', async () => {
    const holder = dataDir();
    const crashed = dataDir();
    const occupant = await startServer(holder.configPath, TOKEN, holder.dir);
    try {
      // A job left running by a process that died: the next instance on this data recovers it, once it listens.
      const dying = await startServer(crashed.configPath, TOKEN, crashed.dir);
      const jobId = await createRunningJob(dying);
      dying.child.kill('SIGKILL');
      await dying.exited;
      const before = storedTypes(crashed.dir, jobId);
      const port = Number(new URL(occupant.baseUrl).port);
      const refused = await runUntilExit(crashed.configPath, TOKEN, crashed.dir, port);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain(`127.0.0.1:${port} is in use by another process`);
      expect(refused.output).not.toMatch(/successfully started|\n\s+at /);
      expect(refused.output.split('\n').filter((line) => line.includes('ERROR'))).toHaveLength(1);
      expect(storedTypes(crashed.dir, jobId)).toEqual(before);
      expect(before).not.toContain('job_resumed');
    } finally {
      occupant.child.kill('SIGTERM');
      await occupant.exited;
      removeDir(holder.dir);
      removeDir(crashed.dir);
    }
  });
});
