import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { NatsEngine, PostgresEngine, availableEngines, freePort, startNats, startPostgres } from '../kit/engines';
import { STAGES } from '../src/domain/stages';
import { OpenStream, openStream } from './sse-client';
import { Summary, summarize } from './stats';

const TOKEN = 'bench-cluster-token';
const MAIN = join(__dirname, '..', 'src', 'main.js');
const NO_GATES = Object.fromEntries(
  STAGES.map((stage) => [stage, { required: false, auto_approve: false, auto_approve_after_s: null }]),
);
/** The bench's lease: takeover is measured against it (production default 15 s). */
const LEASE_SECONDS = 5;
const MAX_CONCURRENT_JOBS = 4;

export interface ClusterSizes {
  jobs: number;
  /** Stage output lines per job, for `linesJobs` jobs at once (the command runner's cap: 200 lines/s per stage). */
  lines: number;
  subscribers: number;
  sseEvents: number;
}

export interface ClusterResult {
  /** Events/s stored while 12 stages print 190 lines/s each (mostly stage_log), every sink. */
  logEventsPerS: number;
  logEvents: number;
  eventsPerS: number;
  jobsPerS: number;
  events: number;
  seconds: number;
  sse: Summary;
  sseLost: number;
  sseDuplicates: number;
  takeoverS: number;
}

interface Instance {
  name: string;
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * Three real service processes on one PostgreSQL, one NATS JetStream and one runs dir, all on this
 * machine (engines from Debian's packages, started on loopback for the run). Measures: events/s the
 * three emit together (whole jobs, stage_seconds 0, every sink), emit → frame latency for
 * `subscribers` SSE streams spread over the three (the event's commit timestamp to the frame parsed
 * here, on the wall clock), and the time from SIGKILL of an instance to another's takeover.
 * Null when the engines are not installed.
 */
export async function measureCluster(sizes: ClusterSizes): Promise<ClusterResult | null> {
  const available = availableEngines();
  if (!available.postgres || !available.nats) return null;
  const [postgres, nats] = await Promise.all([startPostgres(), startNats()]);
  const dir = mkdtempSync(join(tmpdir(), 'jobevents-bench-cluster-'));
  const instances: Instance[] = [];
  try {
    const config = await writeConfig(dir, postgres, nats);
    instances.push(...(await Promise.all(['A', 'B', 'C'].map((name) => startInstance(name, config, dir)))));
    const throughput = await measureThroughput(instances, sizes.jobs);
    const logs = await measureStageOutput(instances, sizes.lines);
    const sse = await measureClusterSse(instances, sizes.subscribers, sizes.sseEvents);
    const takeoverS = await measureTakeover(instances);
    return { ...throughput, ...logs, ...sse, takeoverS };
  } finally {
    await Promise.all(instances.map(stopInstance));
    await Promise.all([postgres.close(), nats.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function writeConfig(dir: string, postgres: PostgresEngine, nats: NatsEngine): Promise<string> {
  const path = join(dir, 'operator.yaml');
  // The SSE job prints its lines at ~100/s; the failover job sleeps through its first stage.
  const outline = [
    'case "$JOB_SLUG" in',
    '  paced-*) n=${JOB_SLUG#paced-}; i=0; while [ $i -lt "$n" ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done ;;',
    '  slow*) sleep 60 ;;',
    // 19 lines every 100 ms: 190 lines/s, under the command runner's 200 lines/s per stage (more are dropped).
    '  lines-*) n=${JOB_SLUG#lines-}; i=0; while [ $i -lt "$n" ]; do seq $i $((i+18)); i=$((i+19)); sleep 0.1; done ;;',
    'esac',
  ].join('\n');
  writeFileSync(
    path,
    stringify({
      server: { log_level: 'warning' },
      gates: NO_GATES,
      security: { rate_limiting: { enabled: false }, max_streams_per_client: 1000 },
      storage: {
        engine: 'postgres',
        postgres_url: await postgres.createDatabase('bench'),
        runs_dir: join(dir, 'runs'),
      },
      bus: { engine: 'nats', nats_url: nats.url },
      cluster: { lease_seconds: LEASE_SECONDS },
      pipeline: { runner: 'command', commands: { outline }, max_concurrent_jobs: MAX_CONCURRENT_JOBS, command_env: {} },
    }),
  );
  return path;
}

async function startInstance(name: string, configPath: string, cwd: string): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { ...process.env, OPERATOR_CONFIG: configPath, ADMIN_TOKEN: TOKEN, PORT: String(port), INSTANCE_ID: name },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 20_000; ;) {
    if (child.exitCode !== null) throw new Error(`instance ${name} exited ${child.exitCode}`);
    if ((await fetch(`${url}/readyz`).catch(() => null))?.ok) break;
    if (Date.now() > deadline) throw new Error(`instance ${name} not ready in 20 s`);
    await sleep(100);
  }
  return { name, url, child, exited };
}

async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGTERM');
  await instance.exited;
}

async function api(instance: Instance, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${instance.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} on ${instance.name}: ${response.status}`);
  return response.json();
}

async function createJob(instance: Instance, slug: string): Promise<string> {
  return ((await api(instance, 'POST', '/api/v1/jobs', { slug, intent: 'bench' })) as { id: string }).id;
}

async function waitUntilFinished(instance: Instance, jobIds: string[]): Promise<void> {
  for (const jobId of jobIds) {
    for (;;) {
      const job = (await api(instance, 'GET', `/api/v1/jobs/${jobId}`)) as { status: string };
      if (['completed', 'failed', 'canceled'].includes(job.status)) break;
      await sleep(20);
    }
  }
}

/** `jobs` whole jobs created round-robin on the three; events/s from the first create to the last completion. */
async function measureThroughput(instances: Instance[], jobs: number) {
  const { events, seconds } = await runJobs(instances, jobs, (n) => `flood-${n}`);
  return { events, seconds, eventsPerS: events / seconds, jobsPerS: jobs / seconds };
}

/**
 * As many stages printing at once as the three instances run (4 each), each at 190 lines/s: events/s
 * stored (all sinks) from the first create to the last job's end. 2,280/s means the cluster keeps up.
 */
async function measureStageOutput(instances: Instance[], lines: number) {
  const { events, seconds } = await runJobs(instances, instances.length * MAX_CONCURRENT_JOBS, () => `lines-${lines}`);
  return { logEvents: events, logEventsPerS: events / seconds };
}

/** Creates `count` jobs round-robin on the instances and waits for them all: events stored meanwhile, and the time. */
async function runJobs(instances: Instance[], count: number, slug: (n: number) => string) {
  const before = await lastEventId(instances[0]);
  const started = performance.now();
  const jobIds = await Promise.all(
    Array.from({ length: count }, (_, n) => createJob(instances[n % instances.length], slug(n))),
  );
  await waitUntilFinished(instances[0], jobIds);
  const seconds = (performance.now() - started) / 1000;
  return { events: (await lastEventId(instances[0], before)) - before, seconds };
}

/** The newest stored id, paging the global feed from `since` (the bench's database is fresh). */
async function lastEventId(instance: Instance, since = 0): Promise<number> {
  for (let cursor = since; ;) {
    const page = (await api(instance, 'GET', `/api/v1/events?since=${cursor}&limit=1000`)) as {
      has_more: boolean;
      next_since: number;
    };
    cursor = Number(page.next_since) || cursor;
    if (!page.has_more) return cursor;
  }
}

/** Global streams spread over the three instances, then a job printing `events` lines at ~100/s on one of them. */
async function measureClusterSse(instances: Instance[], subscribers: number, events: number) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const latencies: number[] = [];
  const seen = Array.from({ length: subscribers }, () => new Set<number>());
  let duplicates = 0;
  const streams: OpenStream[] = await Promise.all(
    Array.from({ length: subscribers }, (_, i) =>
      openStream(`${instances[i % instances.length].url}/api/v1/events/stream`, TOKEN, agent, {
        onEvent: (id, event) => {
          const { type, ts } = event as { type?: string; ts?: string };
          if (type !== 'stage_log') return;
          if (seen[i].has(id)) duplicates++;
          seen[i].add(id);
          latencies.push(Date.now() - Date.parse(ts ?? ''));
        },
      }),
    ),
  );
  const jobId = await createJob(instances[1], `paced-${events}`);
  const deadline = Date.now() + events * 20 + 20_000;
  while (latencies.length < subscribers * events && Date.now() < deadline) await sleep(50);
  await waitUntilFinished(instances[1], [jobId]);
  for (const stream of streams) stream.close();
  agent.destroy();
  const received = seen.reduce((total, ids) => total + ids.size, 0);
  return { sse: summarize(latencies), sseLost: subscribers * events - received, sseDuplicates: duplicates };
}

/** SIGKILL the instance running a job mid-stage; seconds until another instance's `job_resumed` takeover. */
async function measureTakeover(instances: Instance[]): Promise<number> {
  const jobId = await createJob(instances[0], 'slow-failover');
  let owner: string | undefined;
  while (!owner) {
    const page = (await api(instances[0], 'GET', `/api/v1/jobs/${jobId}/events?since=0`)) as {
      events: { type: string; payload: { instance_id?: string } }[];
    };
    owner = page.events.find((event) => event.type === 'stage_started')?.payload.instance_id;
    if (!owner) await sleep(20);
  }
  const victim = instances.find((instance) => instance.name === owner) as Instance;
  const survivor = instances.find((instance) => instance !== victim) as Instance;
  victim.child.kill('SIGKILL');
  const killedAt = Date.now();
  await victim.exited;
  for (;;) {
    const page = (await api(survivor, 'GET', `/api/v1/jobs/${jobId}/events?since=0`)) as {
      events: { ts: string; type: string }[];
    };
    const resumed = page.events.find((event) => event.type === 'job_resumed');
    if (resumed) return (Date.parse(resumed.ts) - killedAt) / 1000;
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
