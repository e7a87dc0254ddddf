import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { deepMerge } from '../../src/config/deep-merge';
import { JobEvent } from '../../src/domain/events';
import { waitFor } from './app';
import { NatsEngine, PostgresEngine } from './engines';
import { NO_GATES } from './jobs';
import { ServerProcess, startServer } from './server-process';

export const CLUSTER_TOKEN = 'cluster-test-token';

export interface Instance {
  name: string;
  baseUrl: string;
  server: ServerProcess;
}

export interface Cluster {
  dir: string;
  runsDir: string;
  dbUrl: string;
  instances: Instance[];
  /** Starts one more instance (or the named one again, after a kill) on the same config. */
  start: (name: string) => Promise<Instance>;
  /** Stops every instance still running (SIGTERM, then waits) and removes the dir. */
  close: () => Promise<void>;
}

export interface ClusterOptions {
  postgres: PostgresEngine;
  nats: NatsEngine;
  size: number;
  /** Config keys over the cluster's own (postgres, nats, shared runs dir, no gates, no rate limits). */
  config?: Record<string, unknown>;
}

let clusters = 0;

/**
 * Real service processes (`npm start`'s build) on one fresh database, one JetStream stream and one
 * shared runs dir: instances A, B, C… each with its own INSTANCE_ID and port.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const name = `cluster${process.pid}_${++clusters}`;
  const dbUrl = await options.postgres.createDatabase(name);
  const dir = mkdtempSync(join(tmpdir(), 'jobevents-cluster-'));
  const runsDir = join(dir, 'runs');
  const configPath = join(dir, 'operator.yaml');
  const base = {
    server: { log_level: 'info' },
    gates: NO_GATES,
    security: { rate_limiting: { enabled: false } },
    storage: { engine: 'postgres', postgres_url: dbUrl, runs_dir: runsDir, db_path: join(dir, 'unused.db') },
    bus: { engine: 'nats', nats_url: options.nats.url, stream: name.toUpperCase() },
    cluster: { lease_seconds: 3 },
    pipeline: { simulate: { stage_seconds: 0.05 }, max_concurrent_jobs: 2 },
    events: { heartbeat_seconds: 1 },
  };
  writeFileSync(configPath, stringify(deepMerge(base, options.config ?? {})));
  const instances: Instance[] = [];
  const start = async (instanceName: string): Promise<Instance> => {
    const server = await startServer(configPath, CLUSTER_TOKEN, dir, { INSTANCE_ID: instanceName });
    const instance = { name: instanceName, baseUrl: server.baseUrl, server };
    const at = instances.findIndex((existing) => existing.name === instanceName);
    if (at >= 0) instances[at] = instance;
    else instances.push(instance);
    return instance;
  };
  const names = Array.from({ length: options.size }, (_, index) => String.fromCharCode(65 + index));
  await Promise.all(names.map((instanceName) => start(instanceName)));
  instances.sort((a, b) => a.name.localeCompare(b.name));
  return {
    dir,
    runsDir,
    dbUrl,
    instances,
    start,
    close: async () => {
      for (const { name: dead, server } of instances.filter(({ server }) => server.child.exitCode !== null)) {
        // An instance that died by itself (not SIGKILLed by a test): its output explains why.
        if (server.child.exitCode !== 0)
          process.stderr.write(`instance ${dead} exited ${server.child.exitCode}:\n${server.output()}\n`);
      }
      await Promise.all(
        instances.map(async ({ server }) => {
          if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM');
          await server.exited;
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const AUTH = { Authorization: `Bearer ${CLUSTER_TOKEN}` };

/** One request to one instance; resolves to the status and the parsed JSON body. */
export async function call(
  instance: Instance,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(`${instance.baseUrl}${path}`, {
    method,
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the text as it is.
  }
  return { status: response.status, body: parsed };
}

export async function createJob(instance: Instance, slug: string): Promise<string> {
  const { status, body } = await call(instance, 'POST', '/api/v1/jobs', { slug, intent: `cluster test ${slug}` });
  if (status !== 201 && status !== 200)
    throw new Error(`create ${slug} on ${instance.name}: ${status} ${JSON.stringify(body)}`);
  return body.job_id ?? body.id;
}

/** Every stored event (of one job, or all), paging with next_since, from one instance. */
export async function storedEvents(instance: Instance, jobId?: string): Promise<JobEvent[]> {
  const base = jobId ? `/api/v1/jobs/${jobId}/events` : '/api/v1/events';
  const out: JobEvent[] = [];
  for (let since: number | string = 0; ;) {
    const { status, body } = await call(instance, 'GET', `${base}?since=${since}&limit=1000`);
    if (status !== 200) throw new Error(`poll ${base} on ${instance.name}: ${status} ${JSON.stringify(body)}`);
    out.push(...(body.events as JobEvent[]));
    if (!body.has_more) return out;
    since = body.next_since;
  }
}

export async function waitForJobStatus(
  instance: Instance,
  jobId: string,
  statuses: string[],
  timeoutMs = 20_000,
): Promise<any> {
  return waitFor(
    async () => {
      const { status, body } = await call(instance, 'GET', `/api/v1/jobs/${jobId}`).catch(() => ({
        status: 0,
        body: null,
      }));
      return status === 200 && statuses.includes(body.status) ? body : null;
    },
    timeoutMs,
    `job ${jobId} to be ${statuses.join(' or ')} (asking ${instance.name})`,
  );
}

/** Ids strictly increasing, none twice: the property every reader's sequence must have. */
export function idsOf(events: { id: number }[]): number[] {
  return events.map((event) => event.id);
}
