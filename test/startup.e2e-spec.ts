import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { removeDir, waitFor } from './helpers/app';
import { runUntilExit, serverDataDir, startServer } from './helpers/server-process';

const TOKEN = 'startup-test-token-0123456789';

/** Runs the built service on a config and expects it to exit 1 with exactly one line: `expected`. */
async function expectRefusal(configPath: string, cwd: string, expected: RegExp): Promise<void> {
  const result = await runUntilExit(configPath, TOKEN, cwd, 0);
  expect(result.code).toBe(1);
  const lines = result.output.trim().split('\n');
  expect(lines).toEqual([expect.stringMatching(expected)]);
}

describe('start-up failures: one line each, exit 1, no stack trace', () => {
  let dir: string;
  beforeEach(() => ({ dir } = serverDataDir('jobevents-startup-', 1)));
  afterEach(() => removeDir(dir));

  it('a config that cannot be read', async () => {
    const configPath = join(dir, 'conf.d');
    mkdirSync(configPath);
    await expectRefusal(configPath, dir, /^\[config\] ERROR: Config .*conf\.d cannot be read \(EISDIR\)$/);
  });

  it('a config with a key the service does not know, naming the closest one', async () => {
    const configPath = join(dir, 'typo.yaml');
    writeFileSync(configPath, stringify({ server: { prot: 8018 } }));
    await expectRefusal(
      configPath,
      dir,
      /^\[config\] ERROR: Invalid config .*: unknown key server\.prot; did you mean server\.port\?/,
    );
  });

  it('a runs dir that cannot be written', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const configPath = join(dir, 'runs-under-a-file.yaml');
    writeFileSync(
      configPath,
      stringify({ storage: { db_path: join(dir, 'jobs.db'), runs_dir: join(blocker, 'runs') } }),
    );
    await expectRefusal(configPath, dir, /^\[storage\] ERROR: runs dir .*a-file\/runs is not writable \(ENOTDIR\)/);
  });
});

describe('server.log_format: json', () => {
  it('writes every line of a real run as one JSON object, events with their fields, and no token', async () => {
    const { dir, configPath } = serverDataDir('jobevents-jsonlog-', 0.01);
    const config = parse(readFileSync(configPath, 'utf8')) as { server: Record<string, unknown> };
    config.server.log_format = 'json';
    writeFileSync(configPath, stringify(config));
    const server = await startServer(configPath, TOKEN, dir);
    try {
      const created = await fetch(`${server.baseUrl}/api/v1/jobs`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ slug: 'json-logs', intent: 'structured' }),
      });
      const { id } = (await created.json()) as { id: string };
      await waitFor(() => server.output().includes('job_completed'), 10_000, 'the job to complete');
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const lines = server
        .output()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const line of lines) {
        expect(line).toMatchObject({
          time: expect.any(String),
          level: expect.any(String),
          context: expect.any(String),
        });
        expect(typeof line.message).toBe('string');
      }
      const started = lines.find((line) => line.context === 'events' && line.type === 'job_started');
      expect(started).toMatchObject({ level: 'info', job_id: id, event_id: expect.any(Number), stage: 'outline' });
      expect(lines.find((line) => String(line.message).startsWith('SIGTERM'))).toMatchObject({ context: 'api' });
      expect(lines.map((line) => line.context)).toContain('security');
      expect(server.output()).not.toContain(TOKEN);
    } finally {
      server.child.kill('SIGKILL');
      removeDir(dir);
    }
  });
});
