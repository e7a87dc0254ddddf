import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { Client } from 'pg';
import { stringify } from 'yaml';
import { CLUSTER_TOKEN } from './helpers/cluster';
import { NatsEngine, PostgresEngine, describeWithEngines, freePort, startNats, startPostgres } from './helpers/engines';
import { runUntilExit, startServer } from './helpers/server-process';

/** A service process on this config that must refuse to start: its exit code and its last line. */
async function refusal(dir: string, config: Record<string, unknown>, env: Record<string, string> = {}) {
  const configPath = join(dir, `operator-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(configPath, stringify({ storage: { runs_dir: join(dir, 'runs') }, ...config }));
  const { code, output } = await runUntilExit(configPath, CLUSTER_TOKEN, dir, await freePort(), 20_000, env);
  const lines = output.trim().split('\n');
  return { code, output, last: lines[lines.length - 1] };
}

describeWithEngines(['postgres', 'nats'], 'cluster mode: start-up refusals', () => {
  let postgres: PostgresEngine;
  let nats: NatsEngine;
  let dir: string;

  beforeAll(async () => {
    [postgres, nats] = await Promise.all([startPostgres(), startNats()]);
    dir = mkdtempSync(join(tmpdir(), 'jobevents-cluster-startup-'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([postgres?.close(), nats?.close()]);
    rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  const engines = (databaseUrl: string, extra: Record<string, unknown> = {}) => ({
    storage: { engine: 'postgres', postgres_url: databaseUrl, runs_dir: join(dir, 'runs') },
    bus: { engine: 'nats', nats_url: nats.url },
    ...extra,
  });

  it('refuses a URL that is no PostgreSQL URL, without showing its password', async () => {
    const result = await refusal(dir, engines('mysql://root:hunter22@127.0.0.1/x'));
    expect(result.code).toBe(1);
    expect(result.last).toMatch(/^\[config\] ERROR: .*storage\.postgres_url must start with postgres:\/\//);
    expect(result.output).not.toContain('hunter22');
  });

  it('refuses an unreachable PostgreSQL in one line, naming it without its password', async () => {
    const port = await freePort();
    const result = await refusal(dir, engines(`postgres://postgres:${postgres.password}@127.0.0.1:${port}/x`));
    expect(result.code).toBe(1);
    expect(result.last).toMatch(
      /^\[database\] ERROR: Cannot use PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1/,
    );
    expect(result.output.trim().split('\n')).toHaveLength(1);
    expect(result.output).not.toContain(postgres.password);
  });

  it('refuses an unreachable NATS in one line', async () => {
    const url = await postgres.createDatabase('startup_nats');
    const port = await freePort();
    const result = await refusal(dir, {
      ...engines(url),
      bus: { engine: 'nats', nats_url: `nats://127.0.0.1:${port}` },
    });
    expect(result.code).toBe(1);
    expect(result.last).toMatch(/^\[bus\] ERROR: Cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+/);
  });

  it('refuses bus.engine nats on the embedded SQLite store', async () => {
    const result = await refusal(dir, { bus: { engine: 'nats', nats_url: nats.url } });
    expect(result.code).toBe(1);
    expect(result.last).toMatch(/^\[config\] ERROR: .*bus\.engine nats needs storage\.engine postgres/);
  });

  it('refuses a NATS stream of that name made with other subjects', async () => {
    const connection = await connect({ servers: nats.url });
    const manager = await connection.jetstreamManager();
    await manager.streams.add({ name: 'SOMEONE_ELSES', subjects: ['elsewhere.>'] });
    await connection.close();
    const url = await postgres.createDatabase('startup_stream');
    const result = await refusal(
      dir,
      engines(url, { bus: { engine: 'nats', nats_url: nats.url, stream: 'SOMEONE_ELSES' } }),
    );
    expect(result.code).toBe(1);
    expect(result.last).toMatch(/^\[bus\] ERROR: NATS stream SOMEONE_ELSES exists with subjects \["elsewhere\.>"\]/);
  });

  it('refuses a database a newer version migrated, and leaves it as it was', async () => {
    const url = await postgres.createDatabase('startup_schema');
    const client = new Client({ connectionString: url });
    await client.connect();
    await client.query(
      'CREATE TABLE migrations (id serial PRIMARY KEY, timestamp bigint NOT NULL, name varchar NOT NULL)',
    );
    await client.query("INSERT INTO migrations (timestamp, name) VALUES (1999999999999, 'FromTheFuture1999999999999')");
    const result = await refusal(dir, engines(url));
    const { rows } = await client.query<{ count: string }>(
      "SELECT COUNT(*) AS count FROM information_schema.tables WHERE table_name = 'jobs'",
    );
    await client.end();
    expect(result.code).toBe(1);
    expect(result.last).toMatch(/^\[database\] ERROR: .*FromTheFuture1999999999999.*newer version/);
    expect(rows[0].count).toBe('0');
  });

  it('refuses a second instance with the same instance_id while the first runs', async () => {
    const url = await postgres.createDatabase('startup_instance');
    const configPath = join(dir, 'first.yaml');
    writeFileSync(configPath, stringify(engines(url)));
    const first = await startServer(configPath, CLUSTER_TOKEN, dir, { INSTANCE_ID: 'same' });
    try {
      const result = await refusal(dir, engines(url), { INSTANCE_ID: 'same' });
      expect(result.code).toBe(1);
      expect(result.last).toMatch(/^\[cluster\] ERROR: instance_id same is in use by another running instance/);
      expect((await fetch(`${first.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      first.child.kill('SIGTERM');
      await first.exited;
    }
  });
});
