import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './helpers/app';
import { runJobctl } from './helpers/cli';
import { CLUSTER_TOKEN, Cluster, Instance, call, startCluster, storedEvents } from './helpers/cluster';
import {
  NatsEngine,
  NginxEngine,
  PostgresEngine,
  describeWithEngines,
  freePort,
  startNats,
  startNginx,
  startPostgres,
} from './helpers/engines';
import { NO_GATES } from './helpers/jobs';
import { openSse } from './helpers/sse';

const DEPLOY_CONF = join(__dirname, '..', 'deploy', 'nginx.conf');

/** deploy/nginx.conf as shipped, pointed at these instances and this port, its access log in nginx's dir. */
function balancerConf(instances: Instance[], port: number): string {
  const shipped = readFileSync(DEPLOY_CONF, 'utf8');
  const upstreams = shipped.match(/server 127\.0\.0\.1:800\d;/g) ?? [];
  expect(upstreams).toHaveLength(instances.length);
  let conf = shipped;
  upstreams.forEach((line, index) => {
    conf = conf.replace(line, `server ${new URL(instances[index].baseUrl).host};`);
  });
  return conf
    .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`)
    .replace('/var/log/nginx/jobevents.access.log', 'access.log');
}

describeWithEngines(['postgres', 'nats', 'nginx'], 'cluster mode behind nginx (deploy/nginx.conf)', () => {
  let postgres: PostgresEngine;
  let nats: NatsEngine;
  let cluster: Cluster;
  let nginx: NginxEngine;
  let front: Instance;

  beforeAll(async () => {
    [postgres, nats] = await Promise.all([startPostgres(), startNats()]);
    cluster = await startCluster({
      postgres,
      nats,
      size: 3,
      config: { gates: { ...NO_GATES, script: { required: true, auto_approve: false, auto_approve_after_s: null } } },
    });
    const port = await freePort();
    nginx = await startNginx(balancerConf(cluster.instances, port), port);
    front = { ...cluster.instances[0], name: 'nginx', baseUrl: `http://127.0.0.1:${port}` };
  }, 90_000);

  afterAll(async () => {
    await nginx?.close();
    await cluster?.close();
    await Promise.all([postgres?.close(), nats?.close()]);
  }, 30_000);

  it("runs the console's flow through the balancer: create, stream (token in the query), approve", async () => {
    const created = await call(front, 'POST', '/api/v1/jobs', { slug: 'balanced', intent: 'through nginx' });
    expect(created.status).toBe(201);
    const jobId: string = created.body.id;
    // The console's EventSource cannot send headers: the token rides in the query string.
    const stream = await openSse(
      `${front.baseUrl}/api/v1/jobs/${jobId}/events/stream?since=0&access_token=${CLUSTER_TOKEN}`,
    );
    expect(stream.status).toBe(200);
    await stream.waitFor((frames) => frames.some((f) => f.json?.type === 'gate_pause'), 15_000, 'the script gate');
    // Requests spread over the instances: polls through nginx reach all three.
    const approved = await call(front, 'POST', `/api/v1/jobs/${jobId}/approve`, { stage: 'script' });
    expect(approved.status).toBe(200);
    await stream.waitFor((frames) => frames.some((f) => f.json?.type === 'job_completed'), 20_000, 'job_completed');
    stream.close();
    expect(stream.events().map((event) => event.id)).toEqual(
      (await storedEvents(cluster.instances[2], jobId)).map((event) => event.id),
    );
    const accessLog = readFileSync(join(nginx.dir, 'access.log'), 'utf8');
    expect(accessLog).toContain(`/api/v1/jobs/${jobId}/events/stream`);
    expect(accessLog).not.toContain(CLUSTER_TOKEN);
  }, 60_000);

  it('spreads requests over every instance (round robin)', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const { body } = await call(front, 'GET', '/readyz');
      seen.add(body.instance_id);
    }
    expect([...seen].sort()).toEqual(['A', 'B', 'C']);
  });

  it('lets `jobctl watch` follow a job through the balancer to its end', async () => {
    const created = await call(front, 'POST', '/api/v1/jobs', { slug: 'watched-balanced', intent: 'x' });
    const jobId: string = created.body.id;
    const watch = runJobctl(['watch', jobId, '--timeout', '60s'], { baseUrl: front.baseUrl, token: CLUSTER_TOKEN });
    await waitFor(() => watch.stdout().includes(`jobctl approve ${jobId} --stage script`), 20_000, 'the gate hint');
    const approve = runJobctl(['approve', jobId, '--stage', 'script'], {
      baseUrl: front.baseUrl,
      token: CLUSTER_TOKEN,
    });
    expect(await approve.exited).toBe(0);
    expect(await watch.exited).toBe(0);
    expect(watch.stdout()).toMatch(/Job \S+ completed: 9 stages completed, 1 gate decision/);
  }, 90_000);
});
