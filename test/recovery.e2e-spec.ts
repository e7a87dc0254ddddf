import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAGES } from '../src/domain/stages';
import { JobEvent } from '../src/domain/events';
import { removeDir, waitFor } from './helpers/app';
import { ServerProcess, serverDataDir, startServer } from './helpers/server-process';

async function get(server: ServerProcess, token: string, path: string): Promise<any> {
  const response = await fetch(`${server.baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return response.json();
}

async function events(server: ServerProcess, token: string, jobId: string): Promise<JobEvent[]> {
  return (await get(server, token, `/api/v1/jobs/${jobId}/events?since=0&limit=1000`)).events;
}

describe('restart recovery', () => {
  it('finishes a job whose server was killed mid-stage, with gap-free events equal to events.jsonl', async () => {
    const { dir, configPath } = serverDataDir('jobevents-crash-', 0.4);
    const token = 'crash-test-token-0123456789';
    let server = await startServer(configPath, token, dir);
    try {
      const created = await fetch(`${server.baseUrl}/api/v1/jobs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ slug: 'crash', intent: 'survive a SIGKILL' }),
      });
      const job = (await created.json()) as { id: string };
      await waitFor(
        async () =>
          (await events(server, token, job.id)).some((e) => e.type === 'stage_started' && e.stage === 'research'),
        10000,
        'research to start',
      );
      server.child.kill('SIGKILL');
      await server.exited;

      server = await startServer(configPath, token, dir);
      await waitFor(
        async () => (await get(server, token, `/api/v1/jobs/${job.id}`)).status === 'completed',
        20000,
        'the job to complete',
      );
      const all = await events(server, token, job.id);
      const ids = all.map((e) => e.id);
      ids.slice(1).forEach((id, i) => expect(id).toBeGreaterThan(ids[i]));
      const resumed = all.filter((e) => e.type === 'job_resumed');
      expect(resumed).toHaveLength(1);
      expect(resumed[0]).toMatchObject({
        stage: 'research',
        payload: { reason: 'restart', stage: 'research', status: 'running' },
      });
      const afterResume = all
        .slice(all.indexOf(resumed[0]) + 1)
        .filter((e) => e.type === 'stage_started')
        .map((e) => e.stage);
      expect(afterResume).toEqual(STAGES.slice(STAGES.indexOf('research')));
      expect(all[all.length - 1].type).toBe('job_completed');
      const jsonl = readFileSync(join(dir, 'runs', job.id, 'events.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      expect(jsonl).toEqual(all);
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
      removeDir(dir);
    }
  });
});
