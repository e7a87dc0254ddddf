import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobEvent } from '../src/domain/events';
import { waitFor } from './helpers/app';
import {
  AUTH,
  Cluster,
  Instance,
  call,
  createJob,
  idsOf,
  startCluster,
  storedEvents,
  waitForJobStatus,
} from './helpers/cluster';
import { NatsEngine, PostgresEngine, describeWithEngines, startNats, startPostgres } from './helpers/engines';
import { NO_GATES } from './helpers/jobs';
import { SseClient, openSse } from './helpers/sse';

const SCRIPT_GATE = { ...NO_GATES, script: { required: true, auto_approve: false, auto_approve_after_s: null } };

/** The ids of a job's events.jsonl, line by line. */
function jsonlIds(cluster: Cluster, jobId: string): number[] {
  const text = readFileSync(join(cluster.runsDir, jobId, 'events.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as JobEvent).id);
}

/** A job's events.jsonl holds exactly `ids` within a second (its lines are written after commit). */
async function expectJsonl(cluster: Cluster, jobId: string, ids: number[]): Promise<void> {
  const matches = () => JSON.stringify(jsonlIds(cluster, jobId)) === JSON.stringify(ids);
  await waitFor(matches, 1000, `events.jsonl of ${jobId}`).catch(() => undefined);
  expect(jsonlIds(cluster, jobId)).toEqual(ids);
}

function sse(instance: Instance, path: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return openSse(`${instance.baseUrl}${path}`, { ...AUTH, ...headers });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function isAlive(instance: Instance): boolean {
  return instance.server.child.exitCode === null && instance.server.child.signalCode === null;
}

describeWithEngines(['postgres', 'nats'], 'cluster mode: three instances on PostgreSQL and NATS JetStream', () => {
  let postgres: PostgresEngine;
  let nats: NatsEngine;
  let cluster: Cluster | undefined;

  beforeAll(async () => {
    [postgres, nats] = await Promise.all([startPostgres(), startNats()]);
  }, 60_000);

  afterEach(async () => {
    await cluster?.close();
    cluster = undefined;
  }, 30_000);

  afterAll(async () => {
    await Promise.all([postgres?.close(), nats?.close()]);
  }, 30_000);

  it('serves any client from any instance: created on A, streamed from B, approved on C, resumed anywhere', async () => {
    cluster = await startCluster({ postgres, nats, size: 3, config: { gates: SCRIPT_GATE } });
    const [a, b, c] = cluster.instances;
    const jobId = await createJob(a, 'any-instance');
    const stream = await sse(b, `/api/v1/jobs/${jobId}/events/stream?since=0`);
    await waitForJobStatus(c, jobId, ['needs_approval']);
    const approved = await call(c, 'POST', `/api/v1/jobs/${jobId}/approve`, { stage: 'script', notes: 'from C' });
    expect(approved.status).toBe(200);
    for (const instance of cluster.instances) await waitForJobStatus(instance, jobId, ['completed']);
    await stream.waitFor((frames) => frames.some((f) => f.json?.type === 'job_completed'), 10_000, 'job_completed');
    stream.close();

    const stored = await storedEvents(a, jobId);
    expect(idsOf(stream.events())).toEqual(idsOf(stored));
    for (const instance of [b, c]) expect(idsOf(await storedEvents(instance, jobId))).toEqual(idsOf(stored));
    // Each stage ran once, and which instance ran it is recorded.
    const starts = stored.filter((event) => event.type === 'stage_started');
    expect(starts).toHaveLength(9);
    for (const start of starts) expect(['A', 'B', 'C']).toContain(start.payload.instance_id);

    // Last-Event-ID moves between instances: no gap, no duplicate.
    const cut = stored[Math.floor(stored.length / 2)].id;
    for (const instance of [a, c]) {
      const resumed = await sse(instance, `/api/v1/jobs/${jobId}/events/stream`, { 'Last-Event-ID': String(cut) });
      await resumed.waitFor((frames) => frames.some((f) => f.json?.type === 'job_completed'), 10_000, 'the replay');
      resumed.close();
      expect(idsOf(resumed.events())).toEqual(idsOf(stored.filter((event) => event.id > cut)));
    }
    await expectJsonl(cluster, jobId, idsOf(stored));
  }, 90_000);

  it('deletes a finished job from any instance: record, events and shared run dir go, every instance sees job_deleted', async () => {
    // Retention of whole jobs on too: its start-up sweep runs its PostgreSQL queries (nothing is old enough).
    const config = { gates: SCRIPT_GATE, storage: { jobs_retention_days: 30 } };
    cluster = await startCluster({ postgres, nats, size: 3, config });
    const [a, b, c] = cluster.instances;
    const jobId = await createJob(a, 'deleted');
    await waitForJobStatus(b, jobId, ['needs_approval']);
    expect((await call(b, 'DELETE', `/api/v1/jobs/${jobId}`)).status).toBe(409);
    expect((await call(b, 'POST', `/api/v1/jobs/${jobId}/cancel`, {})).status).toBe(200);
    const stream = await sse(c, '/api/v1/events/stream');
    expect((await call(b, 'DELETE', `/api/v1/jobs/${jobId}?operator=ops`)).status).toBe(200);
    await stream.waitFor((frames) => frames.some((f) => f.json?.type === 'job_deleted'), 10_000, 'job_deleted on C');
    stream.close();
    for (const instance of cluster.instances) {
      expect((await call(instance, 'GET', `/api/v1/jobs/${jobId}`)).status).toBe(404);
      const left = (await storedEvents(instance)).filter((event) => event.job_id === jobId);
      expect(left.map((event) => [event.type, event.payload.operator])).toEqual([['job_deleted', 'ops']]);
    }
    await waitFor(() => !existsSync(join(cluster!.runsDir, jobId)), 5000, 'the shared run dir to go');
    for (const instance of [a, b, c]) expect(instance.server.output()).not.toMatch(/did not run|ERROR/);
  }, 60_000);

  it('carries a cancel from any instance to the one running the job within 1 s, which kills its stage process', async () => {
    cluster = await startCluster({
      postgres,
      nats,
      size: 3,
      config: {
        pipeline: { runner: 'command', commands: { outline: 'echo $$ > "$RUN_DIR/stage.pid"; exec sleep 60' } },
      },
    });
    const jobId = await createJob(cluster.instances[0], 'cancel-anywhere');
    const pidFile = join(cluster.runsDir, jobId, 'stage.pid');
    const pid = (await waitFor(
      () => {
        try {
          return Number(readFileSync(pidFile, 'utf8').trim()) || null;
        } catch {
          return null;
        }
      },
      10_000,
      'the stage process',
    )) as number;
    const started = (await storedEvents(cluster.instances[0], jobId)).find((event) => event.type === 'stage_started');
    const runner = String(started?.payload.instance_id);
    const elsewhere = cluster.instances.find((instance) => instance.name !== runner) as Instance;
    const sentAt = Date.now();
    expect((await call(elsewhere, 'POST', `/api/v1/jobs/${jobId}/cancel`, {})).status).toBe(200);
    await waitFor(() => !processExists(pid), 1000, `the stage process on ${runner} to be killed`);
    expect(Date.now() - sentAt).toBeLessThanOrEqual(1000);
    await waitForJobStatus(cluster.instances[2], jobId, ['canceled']);
    const events = await storedEvents(cluster.instances[1], jobId);
    expect(events[events.length - 1].type).toBe('job_canceled');
  }, 60_000);

  it('fires an auto-approve timer once, whichever instance sweeps first', async () => {
    cluster = await startCluster({
      postgres,
      nats,
      size: 3,
      config: { gates: { ...NO_GATES, outline: { required: true, auto_approve: true, auto_approve_after_s: 1 } } },
    });
    const jobIds = await Promise.all(cluster.instances.map((instance, n) => createJob(instance, `timer-${n}`)));
    for (const jobId of jobIds) await waitForJobStatus(cluster.instances[0], jobId, ['completed'], 30_000);
    for (const jobId of jobIds) {
      const events = await storedEvents(cluster.instances[1], jobId);
      expect(events.filter((event) => event.type === 'gate_auto_approved')).toHaveLength(1);
      expect(events.filter((event) => event.type === 'stage_started')).toHaveLength(9);
    }
  }, 60_000);

  it('never lets a reader skip an id while all three instances write at once', async () => {
    cluster = await startCluster({
      postgres,
      nats,
      size: 3,
      config: { gates: SCRIPT_GATE, pipeline: { simulate: { stage_seconds: 0 }, max_concurrent_jobs: 3 } },
    });
    const instances = cluster.instances;
    const streams = await Promise.all(instances.map((instance) => sse(instance, '/api/v1/events/stream')));
    let isWriting = true;
    const polled = instances.map(() => [] as JobEvent[]);
    const pollers = instances.map(async (instance, index) => {
      let since = 0;
      // Keep paging until a page asked for after the writers were done comes back empty (one asked
      // before may have been answered just before the last commits).
      for (;;) {
        const wasWriting = isWriting;
        const { status, body } = await call(instance, 'GET', `/api/v1/events?since=${since}&limit=200`);
        if (status !== 200) throw new Error(`poll on ${instance.name}: ${status}`);
        polled[index].push(...(body.events as JobEvent[]));
        if (body.events.length > 0) since = body.next_since;
        else if (!wasWriting) return;
      }
    });
    const perInstance = 6;
    const jobIds = (
      await Promise.all(
        instances.map((instance) =>
          Promise.all(Array.from({ length: perInstance }, (_, n) => createJob(instance, `w-${instance.name}-${n}`))),
        ),
      )
    ).flat();
    // Approvals from an instance other than the creator's, as each job reaches its gate.
    await Promise.all(
      jobIds.map(async (jobId, index) => {
        const approver = instances[(index + 1) % instances.length];
        await waitForJobStatus(approver, jobId, ['needs_approval'], 60_000);
        const { status } = await call(approver, 'POST', `/api/v1/jobs/${jobId}/approve`, { stage: 'script' });
        expect(status).toBe(200);
      }),
    );
    for (const jobId of jobIds) await waitForJobStatus(instances[0], jobId, ['completed'], 60_000);
    isWriting = false;
    await Promise.all(pollers);

    const final = idsOf(await storedEvents(instances[0]));
    expect(final.length).toBeGreaterThan(jobIds.length * 40);
    for (let i = 1; i < final.length; i++) expect(final[i]).toBeGreaterThan(final[i - 1]);
    for (const events of polled) expect(idsOf(events)).toEqual(final);
    const last = final[final.length - 1];
    for (const stream of streams) {
      await stream.waitFor((frames) => frames.some((f) => Number(f.id) === last), 10_000, `id ${last}`);
      stream.close();
      expect(idsOf(stream.events())).toEqual(final);
    }
    for (const jobId of jobIds) await expectJsonl(cluster, jobId, idsOf(await storedEvents(instances[1], jobId)));
  }, 150_000);

  it('takes over the jobs of a SIGKILLed instance within lease_seconds + 5 s, never running a stage twice at once', async () => {
    cluster = await startCluster({
      postgres,
      nats,
      size: 3,
      config: { pipeline: { simulate: { stage_seconds: 0.5 }, max_concurrent_jobs: 2 } },
    });
    const [a, b] = cluster.instances;
    const jobIds = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => createJob(a, `failover-${n}`)));
    // The instance running the most jobs right now is the one to kill.
    const victim = (await waitFor(
      async () => {
        const running = new Map<string, number>();
        for (const jobId of jobIds) {
          const events = await storedEvents(b, jobId);
          const last = events[events.length - 1];
          const start = [...events].reverse().find((event) => event.type === 'stage_started');
          if (last && last.type !== 'job_completed' && start) {
            const owner = String(start.payload.instance_id);
            running.set(owner, (running.get(owner) ?? 0) + 1);
          }
        }
        const [busiest] = [...running.entries()].sort((x, y) => y[1] - x[1]);
        return busiest ? cluster!.instances.find((instance) => instance.name === busiest[0]) : undefined;
      },
      20_000,
      'an instance running jobs',
    )) as Instance;
    victim.server.child.kill('SIGKILL');
    const killedAt = Date.now();
    await victim.server.exited;
    const survivor = cluster.instances.find((instance) => instance !== victim) as Instance;

    for (const jobId of jobIds) await waitForJobStatus(survivor, jobId, ['completed'], 60_000);
    const all = await storedEvents(survivor);
    const takeovers = all.filter((event) => event.type === 'job_resumed' && event.payload.reason === 'takeover');
    expect(takeovers.length).toBeGreaterThan(0);
    for (const takeover of takeovers) {
      expect(Date.parse(takeover.ts) - killedAt).toBeLessThanOrEqual((3 + 5) * 1000);
    }
    for (const jobId of jobIds) {
      const events = all.filter((event) => event.job_id === jobId);
      // A stage starts again only after its run ended: completed, or taken over from a dead instance.
      let runningOn: string | null = null;
      for (const event of events) {
        if (event.type === 'stage_started') {
          expect(runningOn).toBeNull();
          runningOn = String(event.payload.instance_id);
          if (Date.parse(event.ts) > killedAt + 1000) expect(runningOn).not.toBe(victim.name);
        } else if (event.type === 'stage_completed' || event.type === 'job_resumed') {
          runningOn = null;
        }
      }
      await expectJsonl(cluster, jobId, idsOf(events));
    }
    for (let i = 1; i < all.length; i++) expect(all[i].id).toBeGreaterThan(all[i - 1].id);
  }, 120_000);

  it('hands the jobs of an instance stopped with SIGTERM to another one at its next sweep', async () => {
    cluster = await startCluster({
      postgres,
      nats,
      size: 2,
      config: { pipeline: { simulate: { stage_seconds: 0.3 } } },
    });
    const [a, b] = cluster.instances;
    const jobId = await createJob(a, 'handed-over');
    const started = await waitFor(
      async () => (await storedEvents(b, jobId)).find((event) => event.type === 'stage_started'),
      10_000,
      'the first stage',
    );
    const owner = cluster.instances.find((instance) => instance.name === started?.payload.instance_id) as Instance;
    const other = cluster.instances.find((instance) => instance !== owner) as Instance;
    owner.server.child.kill('SIGTERM');
    expect(await owner.server.exited).toBe(0);
    const stoppedAt = Date.now();
    await waitForJobStatus(other, jobId, ['completed'], 30_000);
    const events = await storedEvents(other, jobId);
    const resumed = events.find((event) => event.type === 'job_resumed');
    expect(resumed?.payload.reason).toBe('takeover');
    // Released at shutdown: no wait for the lease to run out, only for the next sweep.
    expect(Date.parse(resumed?.ts ?? '') - stoppedAt).toBeLessThanOrEqual(3000 + 1000);
    expect(events.filter((event) => event.type === 'stage_started').pop()?.payload.instance_id).toBe(other.name);
    await expectJsonl(cluster, jobId, idsOf(events));
  }, 60_000);

  it('loses no event when nats-server stops and starts again while streams are open and jobs run', async () => {
    cluster = await startCluster({
      postgres,
      nats,
      size: 3,
      config: { pipeline: { simulate: { stage_seconds: 0.2 }, max_concurrent_jobs: 2 } },
    });
    const instances = cluster.instances;
    const streams = await Promise.all(instances.map((instance) => sse(instance, '/api/v1/events/stream')));
    const jobIds = await Promise.all(instances.map((instance, n) => createJob(instance, `bus-outage-${n}`)));
    await waitFor(async () => (await storedEvents(instances[0])).length > 10, 10_000, 'jobs under way');
    await nats.stop();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const notReady = await call(instances[1], 'GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body.detail).toMatch(/NATS/);
    await nats.start();
    for (const jobId of jobIds) await waitForJobStatus(instances[2], jobId, ['completed'], 60_000);
    const final = idsOf(await storedEvents(instances[0]));
    for (const stream of streams) {
      await stream.waitFor((frames) => frames.some((f) => Number(f.id) === final[final.length - 1]), 10_000);
      stream.close();
      expect(idsOf(stream.events())).toEqual(final);
    }
    await waitFor(async () => (await call(instances[1], 'GET', '/readyz')).status === 200, 10_000, 'ready again');
  }, 120_000);

  it('answers 503 while PostgreSQL is down, keeps every process alive, and recovers within 10 s of its return', async () => {
    cluster = await startCluster({
      postgres,
      nats,
      size: 3,
      config: { pipeline: { simulate: { stage_seconds: 0.3 }, max_concurrent_jobs: 2 } },
    });
    const instances = cluster.instances;
    const stream = await sse(instances[1], '/api/v1/events/stream');
    const before = await Promise.all(instances.map((instance, n) => createJob(instance, `store-outage-${n}`)));
    await waitFor(async () => (await storedEvents(instances[0])).length > 10, 10_000, 'jobs under way');
    await postgres.stop();
    for (const instance of instances) {
      const created = await call(instance, 'POST', '/api/v1/jobs', { slug: 'while-down', intent: 'x' });
      expect(created.status).toBe(503);
      expect(typeof created.body.detail).toBe('string');
      const ready = await call(instance, 'GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.detail).toMatch(/PostgreSQL|database/);
      const polled = await call(instance, 'GET', '/api/v1/events?since=0');
      expect(polled.status).toBe(503);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const instance of instances) expect(isAlive(instance)).toBe(true);
    await postgres.start();
    const back = Date.now();
    const after = (await waitFor(
      async () => {
        const ids: string[] = [];
        for (const instance of instances) {
          const { status, body } = await call(instance, 'POST', '/api/v1/jobs', {
            slug: `after-${instance.name}`,
            intent: 'x',
          });
          if (status !== 201 && status !== 200) return null;
          ids.push(body.id);
        }
        return ids;
      },
      15_000,
      'creates to succeed again',
    )) as string[];
    expect(Date.now() - back).toBeLessThanOrEqual(10_000);
    for (const jobId of [...before, ...after]) await waitForJobStatus(instances[0], jobId, ['completed'], 60_000);
    const final = idsOf(await storedEvents(instances[2]));
    await stream.waitFor((frames) => frames.some((f) => Number(f.id) === final[final.length - 1]), 10_000);
    stream.close();
    expect(idsOf(stream.events())).toEqual(final);
    for (const jobId of [...before, ...after]) {
      await expectJsonl(cluster, jobId, idsOf(await storedEvents(instances[0], jobId)));
    }
    for (const instance of instances) expect(isAlive(instance)).toBe(true);
  }, 120_000);

  it('shows the engines without their passwords, and never logs one', async () => {
    cluster = await startCluster({ postgres, nats, size: 2 });
    for (const instance of cluster.instances) {
      const ready = await call(instance, 'GET', '/api/v1/readyz');
      expect(ready.body).toEqual({ status: 'ready', storage: 'postgres', bus: 'nats', instance_id: instance.name });
      const { body } = await call(instance, 'GET', '/api/v1/config/operator');
      expect(body.storage.engine).toBe('postgres');
      expect(body.bus.engine).toBe('nats');
      expect(body.cluster.instance_id).toBe(instance.name);
      expect(body.storage.postgres_url).toContain(':***@');
      expect(JSON.stringify(body)).not.toContain(postgres.password);
    }
    await cluster.close();
    for (const instance of cluster.instances) expect(instance.server.output()).not.toContain(postgres.password);
    cluster = undefined;
  }, 60_000);
});
