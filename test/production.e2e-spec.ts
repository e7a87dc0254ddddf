import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { removeDir, waitFor } from './helpers/app';
import { ROOT, serverDataDir, startServer, startTarget } from './helpers/server-process';

const TOKEN = 'production-test-token-0123456789';
const SQLITE3 = ['/usr/bin/sqlite3', '/bin/sqlite3'].find((path) => existsSync(path));
if (!SQLITE3) process.stderr.write('\n⚠ sqlite3 not found: the online backup of docs/DEPLOY.md is not checked\n');

/**
 * docs/DEPLOY.md's install path: build once, prune the dev dependencies, run `npm run start:prod`
 * (dist/ alone, no compiler). Done on a copy of the built tree whose node_modules are hard links
 * (fast, and pruning the copy leaves this checkout's alone).
 */
describe('production install: the built tree runs on production dependencies alone', () => {
  let release: string;
  let data: { dir: string; configPath: string };
  beforeAll(() => {
    release = mkdtempSync(join(tmpdir(), 'jobevents-release-'));
    for (const entry of ['dist', 'public', 'conf', 'bin', 'package.json', 'package-lock.json']) {
      cpSync(join(ROOT, entry), join(release, entry), { recursive: true });
    }
    try {
      execFileSync('cp', ['-al', join(ROOT, 'node_modules'), release]);
    } catch {
      cpSync(join(ROOT, 'node_modules'), join(release, 'node_modules'), { recursive: true });
    }
    execFileSync('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund'], {
      cwd: release,
      stdio: 'pipe',
    });
    data = serverDataDir('jobevents-prod-', 0.05);
  }, 120_000);
  afterAll(() => {
    removeDir(release);
    removeDir(data.dir);
  });

  it('has no dev dependency left, and serves, runs a job and stops on SIGTERM with exit 0', async () => {
    for (const dev of ['typescript', 'jest', '@nestjs/testing', 'autocannon']) {
      expect(existsSync(join(release, 'node_modules', dev))).toBe(false);
    }
    const server = await startServer(data.configPath, TOKEN, data.dir, {}, join(release, startTarget('start:prod')));
    try {
      const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };
      const created = await fetch(`${server.baseUrl}/api/v1/jobs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ slug: 'prod', intent: 'runs without dev dependencies' }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const jobctl = execFileSync(join(release, 'bin', 'jobctl'), ['jobs'], {
        env: { ...process.env, JOBS_API_URL: server.baseUrl, ADMIN_TOKEN: TOKEN },
        encoding: 'utf8',
      });
      expect(jobctl).toContain(id);
      expect((await fetch(`${server.baseUrl}/docs`)).status).toBe(200);

      // docs/DEPLOY.md's backup, taken while the service runs: every event is in the copy.
      const events = async () =>
        (
          (await (await fetch(`${server.baseUrl}/api/v1/events?since=0&limit=1000`, { headers })).json()) as {
            events: { id: number; type: string }[];
          }
        ).events;
      await waitFor(async () => (await events()).some((event) => event.type === 'job_completed'), 15_000, 'the job');
      if (SQLITE3) {
        const backup = join(data.dir, 'backup.db');
        execFileSync(SQLITE3, [join(data.dir, 'jobs.db'), `.backup '${backup}'`]);
        const copy = new BetterSqlite3(backup, { readonly: true });
        try {
          const rows = copy.prepare('SELECT id FROM events ORDER BY id').all() as { id: number }[];
          expect(rows.map((row) => row.id)).toEqual((await events()).map((event) => event.id));
        } finally {
          copy.close();
        }
      }
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  }, 60_000);
});
