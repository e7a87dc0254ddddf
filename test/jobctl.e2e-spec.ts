import { appendFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StageEvents } from '../src/domain/event-catalog';
import { JobLifecycle } from '../src/lifecycle/job-lifecycle.service';
import { TestApp, bootTestApp, removeDir, waitFor } from './helpers/app';
import { runJobctl } from './helpers/cli';
import { NO_GATES, allEvents, waitForGate, waitForStatus } from './helpers/jobs';

describe('jobctl, the real binary against the real app', () => {
  let t: TestApp;
  const jobctl = (...args: string[]) => runJobctl(args, { baseUrl: t.baseUrl, token: t.token });
  beforeAll(async () => {
    t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 0.02 }, max_concurrent_jobs: 4 } });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('has --help on the program and on every command', async () => {
    const all = jobctl('--help');
    expect(await all.exited).toBe(0);
    expect(all.stdout()).toContain('jobctl watch <job-id>');
    for (const command of [
      'submit',
      'jobs',
      'show',
      'approve',
      'reject',
      'resume',
      'cancel',
      'rm',
      'gates',
      'artifacts',
      'watch',
      'tail',
    ]) {
      const run = jobctl(command, '--help');
      expect([command, await run.exited]).toEqual([command, 0]);
      expect(run.stdout()).toContain(`usage: jobctl ${command}`);
    }
  });

  it('watches a job through its gates: a hint at each pause, events with progress, exit 0 and a summary', async () => {
    const job = await t.createJob({ slug: 'watched' });
    const watch = jobctl('watch', job.id, '--timeout', '30s');
    for (const stage of ['script', 'storyboard', 'assets', 'audio']) {
      await waitForGate(t, job.id, stage);
      await waitFor(
        () => watch.stdout().includes(`jobctl approve ${job.id} --stage ${stage}`),
        5000,
        `the ${stage} hint`,
      );
      const approve = jobctl('approve', job.id, '--stage', stage, '--notes', 'ok');
      expect(await approve.exited).toBe(0);
      expect(approve.stdout()).toContain(`Gate ${stage} approved successfully`);
    }
    expect(await watch.exited).toBe(0);
    const output = watch.stdout();
    expect(output).toMatch(/job_created/);
    expect(output).toMatch(/stage_started\s+\[script stage 3\/9\] Started script stage/);
    expect(output).toMatch(/Job \S+ completed: 9 stages completed, 4 gate decisions/);
    expect(output).not.toContain('\u001b[');
  });

  it('prints with --json exactly the stored events, one per line, and nothing else on stdout', async () => {
    const job = await t.createJob({ slug: 'json', gates: undefined });
    await waitForGate(t, job.id, 'script');
    await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({}).expect(200);
    const watch = jobctl('watch', job.id, '--json');
    expect(await watch.exited).toBe(1);
    const lines = watch
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(await allEvents(t, job.id));
    expect(watch.stderr()).toContain('canceled');
  });

  it('exits 2 when --timeout runs out', async () => {
    const job = await t.createJob({ slug: 'waits' });
    await waitForGate(t, job.id, 'script');
    const watch = jobctl('watch', job.id, '--timeout', '1s');
    expect(await watch.exited).toBe(2);
    expect(watch.stdout()).toContain('timed out');
    await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({}).expect(200);
  });

  it('reconnects after the server drops the stream, losing and repeating nothing', async () => {
    const job = await t.createJob({ slug: 'dropped' });
    await waitForGate(t, job.id, 'script');
    const emitter = t.app.get(JobLifecycle);
    const watch = jobctl('watch', job.id, '--json', '--timeout', '20s');
    await waitFor(() => watch.stdout().includes('gate_pause'), 5000, 'the history');
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 20; i++)
        await emitter.record(StageEvents.log(job.id, 'script', 'stdout', `round ${round} line ${i}`));
      await waitFor(() => watch.stdout().includes(`round ${round} line 19`), 5000, `round ${round}`);
      // Drop every open connection, the stream included.
      t.app.getHttpServer().closeAllConnections();
    }
    await emitter.record(StageEvents.log(job.id, 'script', 'stdout', 'after the last drop'));
    await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({}).expect(200);
    expect(await watch.exited).toBe(1);
    const printed = watch
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(printed).toEqual(await allEvents(t, job.id));
  });

  it('falls back to polling when a proxy blocks the stream route, and still gets every event', async () => {
    const job = await t.createJob({ slug: 'blocked' });
    await waitForGate(t, job.id, 'script');
    const proxy = await blockingProxy(t.baseUrl);
    try {
      const watch = runJobctl(['watch', job.id, '--json', '--timeout', '20s'], { baseUrl: proxy.url, token: t.token });
      await waitFor(() => watch.stdout().includes('gate_pause'), 8000, 'the history by polling');
      await t.app.get(JobLifecycle).record(StageEvents.log(job.id, 'script', 'stdout', 'while polling'));
      await waitFor(() => watch.stdout().includes('while polling'), 8000, 'a live event by polling');
      await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({}).expect(200);
      expect(await watch.exited).toBe(1);
      expect(
        watch
          .stdout()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line)),
      ).toEqual(await allEvents(t, job.id));
      expect(proxy.blocked()).toBeGreaterThan(0);
    } finally {
      await proxy.close();
    }
  });

  it('tails events.jsonl from disk and follows lines appended after it started', async () => {
    const job = await t.createJob({ slug: 'tailed' });
    await waitForGate(t, job.id, 'script');
    const file = join(t.runsDir, job.id, 'events.jsonl');
    const tail = jobctl('tail', file, '-f', '--json');
    const stored = await allEvents(t, job.id);
    await waitFor(() => tail.stdout().trim().split('\n').length >= stored.length, 5000, 'the whole file');
    await t.app.get(JobLifecycle).record(StageEvents.log(job.id, 'script', 'stdout', 'appended later'));
    appendFileSync(file, '{"torn": ');
    await waitFor(() => tail.stdout().includes('appended later'), 5000, 'the appended line');
    tail.child.kill('SIGTERM');
    await tail.exited;
    const lines = tail
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual(await allEvents(t, job.id));
    const plain = jobctl('tail', job.id, '--runs-dir', t.runsDir, '--types', 'gate_pause');
    expect(await plain.exited).toBe(0);
    expect(plain.stdout().trim().split('\n')).toEqual([
      expect.stringMatching(/gate_pause\s+\[script stage 3\/9\] Waiting for approval of script/),
    ]);
  });

  it('lists, shows and cancels jobs, and says what is wrong on a bad request', async () => {
    const job = await t.createJob({ slug: 'listed' });
    const jobs = jobctl('jobs', '--limit', '5');
    expect(await jobs.exited).toBe(0);
    expect(jobs.stdout()).toContain(job.id);
    const show = jobctl('show', job.id);
    expect(await show.exited).toBe(0);
    expect(JSON.parse(show.stdout()).slug).toBe('listed');
    const cancel = jobctl('cancel', job.id);
    expect(await cancel.exited).toBe(0);
    expect(cancel.stdout()).toContain('Job canceled successfully');
    const again = jobctl('cancel', job.id);
    expect(await again.exited).toBe(3);
    expect(again.stderr()).toContain('409');
    await waitForStatus(t, job.id, ['canceled']);

    const live = await t.createJob({ slug: 'still-running' });
    const refused = jobctl('rm', live.id);
    expect(await refused.exited).toBe(3);
    expect(refused.stderr()).toContain('only a completed or failed or canceled job can be deleted');
    const rm = jobctl('rm', job.id, '--operator', 'ops');
    expect(await rm.exited).toBe(0);
    expect(rm.stdout()).toBe(`${job.id} deleted\n`);
    await t.http().get(`/api/v1/jobs/${job.id}`).set(t.auth).expect(404);
    expect((await allEvents(t)).find((event) => event.type === 'job_deleted')?.payload).toMatchObject({
      operator: 'ops',
    });
  });
});

describe('jobctl with a job that runs through', () => {
  it('exits 0 at once, after printing the history, for a job that already completed', async () => {
    const t = await bootTestApp({ gates: NO_GATES, pipeline: { simulate: { stage_seconds: 0 } } });
    try {
      const job = await t.createJob({ slug: 'done' });
      await waitForStatus(t, job.id, ['completed']);
      const watch = runJobctl(['watch', job.id], { baseUrl: t.baseUrl, token: t.token });
      expect(await watch.exited).toBe(0);
      expect(watch.stdout()).toMatch(/job_completed/);
      expect(
        watch
          .stdout()
          .split('\n')
          .filter((line) => line.includes('stage_completed')),
      ).toHaveLength(9);
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });
});

/** A proxy in front of the app that refuses the SSE route (as some corporate proxies do). */
async function blockingProxy(
  target: string,
): Promise<{ url: string; blocked: () => number; close: () => Promise<void> }> {
  let blocked = 0;
  const server = http.createServer((request, response) => {
    if ((request.url ?? '').includes('/events/stream')) {
      blocked++;
      response.writeHead(403, { 'Content-Type': 'application/json' }).end('{"detail":"streaming is blocked here"}');
      return;
    }
    const upstream = http.request(
      `${target}${request.url}`,
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    blocked: () => blocked,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
