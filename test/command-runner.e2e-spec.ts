import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestApp, bootTestApp, removeDir, waitFor } from './helpers/app';
import { NO_GATES, allEvents, milestones, waitForStatus } from './helpers/jobs';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the command runner', () => {
  let t: TestApp;
  const saved = { ADMIN_TOKEN: process.env.ADMIN_TOKEN, DATABASE_URL: process.env.DATABASE_URL };
  beforeAll(async () => {
    // Secrets in the service's own environment, as `ADMIN_TOKEN=… npm start` puts them there.
    process.env.ADMIN_TOKEN = 'token-from-the-environment-0123456789';
    process.env.DATABASE_URL = 'postgres://jobs:secret-pw@127.0.0.1/jobevents';
    t = await bootTestApp({
      gates: NO_GATES,
      pipeline: {
        runner: 'command',
        max_concurrent_jobs: 3,
        commands: {
          outline:
            'echo "outline for $JOB_SLUG ($STAGE)"; echo "warning" >&2; echo "# Outline" > "$ARTIFACTS_DIR/outline.md"',
          research:
            'if [ "$JOB_SLUG" = "fails" ]; then echo "no sources" >&2; exit 3; fi; ' +
            // Sparse: 2.2 GB of zeros that take no disk space.
            'if [ "$JOB_SLUG" = "big" ]; then truncate -s 2200000000 "$ARTIFACTS_DIR/take.mp4"; fi; echo ok',
          script: 'if [ "$JOB_SLUG" = "sleeps" ]; then echo $$ > "$RUN_DIR/pid"; sleep 30; fi; true',
          storyboard: 'sleep 30 & echo "left a child behind"',
          assemble: 'if [ "$JOB_SLUG" = "slow" ]; then sleep 30; fi; true',
          audio: 'if [ "$JOB_SLUG" = "env" ]; then env; echo "leaked: $(cat "$RUN_DIR/../../leak.txt")"; fi; true',
        },
        command_env: { EXTRA_VAR: 'from-config' },
        stage_timeouts: { assemble: 0.01 },
      },
    });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('gives stage commands an allow-listed environment and masks the admin token in their output', async () => {
    writeFileSync(join(t.dir, 'leak.txt'), t.token);
    const job = await t.createJob({ slug: 'env' });
    await waitForStatus(t, job.id, ['completed']);
    const lines = (await allEvents(t, job.id))
      .filter((e) => e.type === 'stage_log' && e.stage === 'audio')
      .map((e) => String(e.payload.line));
    expect(lines).toEqual(
      expect.arrayContaining(['JOB_SLUG=env', 'STAGE=audio', 'EXTRA_VAR=from-config', 'leaked: ***']),
    );
    expect(lines.some((line) => line.startsWith('PATH='))).toBe(true);
    const names = lines.filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line)).map((line) => line.split('=')[0]);
    expect(names).not.toContain('ADMIN_TOKEN');
    expect(names).not.toContain('DATABASE_URL');
    const everything =
      JSON.stringify(await allEvents(t, job.id)) + readFileSync(join(t.runsDir, job.id, 'events.jsonl'), 'utf8');
    for (const secret of [t.token, 'token-from-the-environment-0123456789', 'secret-pw']) {
      expect(everything).not.toContain(secret);
    }
    const config = await t.http().get('/api/v1/config/operator').set(t.auth).expect(200);
    expect(config.body.pipeline.command_env).toEqual({ EXTRA_VAR: '***' });
  });

  it('turns output lines into stage_log events and registers files written to ARTIFACTS_DIR', async () => {
    const job = await t.createJob({ slug: 'lines' });
    await waitForStatus(t, job.id, ['completed']);
    const events = await allEvents(t, job.id);
    const logs = events.filter((e) => e.type === 'stage_log' && e.stage === 'outline');
    expect(logs.map((e) => e.payload)).toEqual(
      expect.arrayContaining([
        { stream: 'stdout', line: 'outline for lines (outline)' },
        { stream: 'stderr', line: 'warning' },
      ]),
    );
    const artifact = events.find((e) => e.type === 'artifact_created');
    expect(artifact).toMatchObject({ stage: 'outline', payload: { stage: 'outline', path: 'artifacts/outline.md' } });
    expect(readFileSync(join(t.runsDir, job.id, 'artifacts', 'outline.md'), 'utf8')).toBe('# Outline\n');
  });

  it('records a file past 2 GiB with its size and checksum, hashed as a stream', async () => {
    const job = await t.createJob({ slug: 'big' });
    await waitForStatus(t, job.id, ['completed'], 30000);
    const { body } = await t.http().get(`/api/v1/jobs/${job.id}`).set(t.auth).expect(200);
    expect(body.artifacts).toContainEqual(
      expect.objectContaining({
        stage: 'research',
        path: 'artifacts/take.mp4',
        kind: 'video',
        size_bytes: 2_200_000_000,
        // sha256sum of 2,200,000,000 zero bytes.
        checksum: '5a937555b4853ad95365d9b319cf96579dfd4264b20bffb6d3745bea02adf31d',
      }),
    );
  });

  it('fails a stage that outlives its stage_timeouts entry', async () => {
    const job = await t.createJob({ slug: 'slow' });
    await waitForStatus(t, job.id, ['failed'], 10000);
    const events = await allEvents(t, job.id);
    expect(milestones(events).slice(-2)).toEqual(['stage_failed:assemble', 'job_failed']);
    expect(events.find((e) => e.type === 'stage_failed')?.payload.error).toBe('stage timed out after 0.01 min');
  });

  it('reports a failing command as stage_failed, then job_failed', async () => {
    const job = await t.createJob({ slug: 'fails' });
    await waitForStatus(t, job.id, ['failed']);
    const events = await allEvents(t, job.id);
    expect(milestones(events).slice(-2)).toEqual(['stage_failed:research', 'job_failed']);
    const failed = events.find((e) => e.type === 'stage_failed');
    expect(String(failed?.payload.error)).toContain('code 3');
  });

  it('kills a running command when its job is canceled', async () => {
    const job = await t.createJob({ slug: 'sleeps' });
    const pidFile = join(t.runsDir, job.id, 'pid');
    const pid = await waitFor(
      () => {
        try {
          return Number(readFileSync(pidFile, 'utf8').trim());
        } catch {
          return 0;
        }
      },
      10000,
      'the sleeping command',
    );
    expect(isAlive(pid)).toBe(true);
    await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({}).expect(200);
    await waitFor(() => !isAlive(pid), 2000, 'the process to be gone');
    const events = await allEvents(t, job.id);
    expect(events[events.length - 1].type).toBe('job_canceled');
  });
});
