import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { StageEvents } from '../src/domain/event-catalog';
import { JobLifecycle } from '../src/lifecycle/job-lifecycle.service';
import { stringify } from 'yaml';
import { RetentionService } from '../src/events/retention.service';
import { TestApp, bootTestApp, makeTempDir, removeDir, waitFor } from './helpers/app';
import { runJobctl } from './helpers/cli';
import { NO_GATES, allEvents, waitForGate, waitForStatus } from './helpers/jobs';
import { freePort } from './helpers/server-process';

const PACKAGE_VERSION = (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string })
  .version;
/** Every command and its own options (each help must describe them all). */
const COMMAND_OPTIONS: Record<string, string[]> = {
  submit: ['intent', 'brief', 'watch', 'verbose', 'json', 'types', 'since', 'timeout'],
  jobs: ['status', 'limit'],
  show: [],
  approve: ['stage', 'notes', 'patch', 'operator'],
  reject: ['stage', 'notes', 'patch', 'operator'],
  resume: [],
  cancel: [],
  rm: ['operator'],
  gates: [],
  artifacts: ['download'],
  watch: ['verbose', 'json', 'types', 'since', 'timeout'],
  tail: ['follow', 'json', 'types', 'verbose', 'runs-dir'],
  completion: [],
};

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

  it('has --version, and --help on the program and on every command, describing every option', async () => {
    const version = jobctl('--version');
    expect(await version.exited).toBe(0);
    expect(version.stdout()).toBe(`jobctl ${PACKAGE_VERSION}\n`);
    const all = jobctl('--help');
    expect(await all.exited).toBe(0);
    expect(all.stdout()).toMatch(/^ {2}watch +follow a job to its end/m);
    for (const [command, options] of Object.entries(COMMAND_OPTIONS)) {
      const run = jobctl(command, '--help');
      expect([command, await run.exited]).toEqual([command, 0]);
      expect(run.stdout()).toContain(`usage: jobctl ${command}`);
      // Every option on a line of its own, with words after it.
      for (const option of [...options, 'url', 'token', 'help']) {
        expect([command, option, new RegExp(`--${option}\\b.* \\w{2,}`).test(run.stdout())]).toEqual([
          command,
          option,
          true,
        ]);
      }
    }
  });

  it('answers a usage mistake with its own message and exit 2, before calling the service', async () => {
    const cases: [string[], RegExp][] = [
      [['approve', '00000000-0000-4000-8000-000000000000'], /^jobctl: approve needs --stage <stage>\nusage: /],
      [['jobs', '--json'], /^jobctl: unknown option --json \(jobctl jobs --help lists the options\)/],
      [['show'], /^jobctl: show needs <job-id>/],
      [['launch'], /^jobctl: unknown command "launch"/],
      [['watch', 'x', '--timeout', 'soon'], /^jobctl: --timeout must be <n>s, <n>m or <n>h/],
      [['completion', 'fish'], /^jobctl: completion is for bash or zsh/],
    ];
    for (const [args, message] of cases) {
      const run = jobctl(...args);
      expect([args, await run.exited]).toEqual([args, 2]);
      expect(run.stderr()).toMatch(message);
      expect(run.stderr()).not.toMatch(/positional argument|ERR_PARSE|\n\s+at /);
    }
  });

  it('names the URL and the cause when the service cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const run = jobctl('jobs', '--url', url);
    expect(await run.exited).toBe(3);
    expect(run.stderr()).toBe(
      `jobctl: cannot reach ${url} (ECONNREFUSED); is the service running? (--url, JOBS_API_URL)\n`,
    );
  });

  it('says so when there are no jobs (on stderr: stdout stays one job a line)', async () => {
    const run = jobctl('jobs', '--status', 'paused');
    expect(await run.exited).toBe(0);
    expect(run.stdout()).toBe('');
    expect(run.stderr()).toBe('No paused jobs\n');
  });

  it('prints bash and zsh completion scripts that the shells accept', async () => {
    for (const shell of ['bash', 'zsh']) {
      const run = jobctl('completion', shell);
      expect(await run.exited).toBe(0);
      expect(run.stdout()).toContain('complete -o default -F _jobctl jobctl');
      expect(run.stdout()).toMatch(/approve\) opts="--stage --notes --patch --operator --url --token --help"/);
      if (shell === 'bash') expect(spawnSync('bash', ['-n'], { input: run.stdout() }).status).toBe(0);
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

describe('jobctl finds the service from its config', () => {
  it('takes the URL and the token variable from the config beside it, --token and JOBCTL_TOKEN first', async () => {
    const t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 0 } }, gates: NO_GATES });
    const dir = makeTempDir();
    try {
      const port = Number(new URL(t.baseUrl).port);
      mkdirSync(join(dir, 'conf'));
      writeFileSync(
        join(dir, 'conf', 'operator.yaml'),
        stringify({
          server: { port },
          security: { admin_token_env: 'JOBS_TOKEN' },
          storage: { runs_dir: 'data/runs' },
        }),
      );
      const job = await t.createJob({ slug: 'found' });
      await waitForStatus(t, job.id, ['completed']);
      const env = { baseUrl: '', token: 'wrong-token' };
      const run = async (args: string[], extra: Record<string, string | undefined>) => {
        const cli = runJobctl(args, env, { JOBS_API_URL: undefined, ...extra }, dir);
        return { code: await cli.exited, stdout: cli.stdout(), stderr: cli.stderr() };
      };
      // The configured variable (JOBS_TOKEN), not ADMIN_TOKEN; the config's port.
      expect(await run(['jobs'], { JOBS_TOKEN: t.token })).toMatchObject({
        code: 0,
        stdout: expect.stringContaining(job.id),
      });
      // JOBCTL_TOKEN before it; --token before both.
      expect(await run(['jobs'], { JOBS_TOKEN: t.token, JOBCTL_TOKEN: 'also-wrong' })).toMatchObject({
        code: 3,
        stderr: expect.stringContaining('401'),
      });
      expect(await run(['jobs', '--token', t.token], { JOBCTL_TOKEN: 'also-wrong' })).toMatchObject({ code: 0 });

      // tail <job-id> reads the config's runs dir.
      mkdirSync(join(dir, 'data', 'runs', job.id), { recursive: true });
      writeFileSync(
        join(dir, 'data', 'runs', job.id, 'events.jsonl'),
        readFileSync(join(t.runsDir, job.id, 'events.jsonl')),
      );
      const tail = await run(['tail', job.id], {});
      expect(tail).toMatchObject({ code: 0, stdout: expect.stringContaining('job_completed') });
    } finally {
      await t.close();
      removeDir(t.dir);
      removeDir(dir);
    }
  });
});

describe('jobctl watch when things go wrong', () => {
  it('retries a service that went away with backoff from its retry:, saying so on stderr', async () => {
    const t = await bootTestApp({
      events: { sse_retry_ms: 500 },
      pipeline: { runner: 'command', commands: {} },
      gates: { ...NO_GATES, outline: { required: true, auto_approve: false, auto_approve_after_s: null } },
    });
    let closed = false;
    try {
      const job = await t.createJob({ slug: 'abandoned' });
      const watch = runJobctl(['watch', job.id, '--timeout', '5s'], { baseUrl: t.baseUrl, token: t.token });
      await waitFor(() => watch.stdout().includes('waiting for a decision'), 5000, 'the gate hint');
      await t.close();
      closed = true;
      expect(await watch.exited).toBe(2);
      const retries = watch
        .stdout()
        .split('\n')
        .filter((line) => line.includes('retrying in'));
      expect(retries.slice(0, 3)).toEqual([
        expect.stringMatching(
          /^jobctl: cannot reach http:\/\/127\.0\.0\.1:\d+ \((ECONNREFUSED|ECONNRESET)\).*; retrying in 0\.5 s$/,
        ),
        expect.stringMatching(/retrying in 1\.0 s$/),
        expect.stringMatching(/retrying in 2\.0 s$/),
      ]);
    } finally {
      if (!closed) await t.close();
      removeDir(t.dir);
    }
  });

  it('shows history_truncated in human and --json output, and counts the summary over the whole job', async () => {
    const t = await bootTestApp({
      gates: { ...NO_GATES, script: { required: true, auto_approve: false, auto_approve_after_s: null } },
      pipeline: { simulate: { stage_seconds: 0 } },
      storage: { max_events_per_job: 5 },
    });
    try {
      const job = await t.createJob({ slug: 'pruned' });
      await waitForGate(t, job.id, 'script');
      await t.http().post(`/api/v1/jobs/${job.id}/approve`).set(t.auth).send({ stage: 'script' }).expect(200);
      await waitForStatus(t, job.id, ['completed']);
      await t.app.get(RetentionService).sweep();
      const jobctl = (...args: string[]) => runJobctl(args, { baseUrl: t.baseUrl, token: t.token });

      const human = jobctl('watch', job.id, '--types', 'job_completed');
      expect(await human.exited).toBe(0);
      expect(human.stdout()).toMatch(/^-- history truncated: .*\n.*job_completed/m);
      expect(human.stdout()).toMatch(/completed: 9 stages completed, at least 0 gate decisions, watched/);

      const json = jobctl('watch', job.id, '--json');
      expect(await json.exited).toBe(0);
      const lines = json
        .stdout()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; id?: number });
      expect(lines[0]).toMatchObject({ type: 'history_truncated', oldest_id: expect.any(Number) });
      expect(lines.slice(1).map((line) => line.id)).toEqual((await allEvents(t, job.id)).map((event) => event.id));
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });
});
