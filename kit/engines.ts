import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, rmSync } from 'node:fs';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runInThisContext } from 'node:vm';
import { Client } from 'pg';

// Top-level, not in test/: the cluster tests and the bench's cluster section both start engines.
/**
 * Real engines for end-to-end tests and the bench, from Debian's packages (`.ci/run` installs them): PostgreSQL,
 * NATS (JetStream) and nginx, each on loopback with a fresh temp dir and free ports of its own, so
 * tests never clash with each other or with anything else on the machine.
 */

const POSTGRES_BIN = postgresBin();
const NATS_SERVER = '/usr/sbin/nats-server';
const NGINX = '/usr/sbin/nginx';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 20_000;
const POLL_MS = 100;

const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// What this machine has

/** Which engines this machine has (binaries present). */
export function availableEngines(): { postgres: boolean; nats: boolean; nginx: boolean } {
  return {
    postgres: ['initdb', 'postgres'].every((name) => existsSync(join(POSTGRES_BIN, name))),
    nats: existsSync(NATS_SERVER),
    nginx: existsSync(NGINX),
  };
}

export type EngineName = keyof ReturnType<typeof availableEngines>;

export const ENGINE_BINARIES: Record<EngineName, string> = {
  postgres: POSTGRES_BIN,
  nats: NATS_SERVER,
  nginx: NGINX,
};

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PostgresEngine {
  /**
   * postgres://postgres:<password>@127.0.0.1:<port>/<db> — the role has a real password (scram-sha-256
   * auth, set via initdb --pwfile), so tests can check it is never shown. Default database 'postgres'.
   */
  url(database?: string): string;
  readonly password: string;
  readonly port: number;
  /** CREATE DATABASE, returns its url. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown (SIGINT to the postmaster); resolves when the process has exited. */
  stop(): Promise<void>;
  /** Starts again on the same data dir and port; resolves when it accepts connections. */
  start(): Promise<void>;
  /** stop() and remove the temp dir. */
  close(): Promise<void>;
}

/** initdb's a fresh cluster in a temp dir and runs a postmaster on a free loopback port. */
export async function startPostgres(): Promise<PostgresEngine> {
  const owner = await postgresOwner();
  const dir = await makeEngineDir('jobevents-pg-', owner);
  const password = randomBytes(24).toString('hex');
  const port = await freePort();
  const url = (database = 'postgres') =>
    `postgres://postgres:${password}@${HOST}:${port}/${encodeURIComponent(database)}`;
  const engine = new EngineProcess({
    name: 'postgres',
    command: join(POSTGRES_BIN, 'postgres'),
    args: postgresArgs(dir, port),
    logPath: join(dir, 'postgres.log'),
    owner,
    ready: () => acceptsQueries(url()),
  });
  try {
    await initCluster(dir, password, owner);
    await engine.start();
  } catch (error) {
    await removeEngineDir(dir);
    throw error;
  }
  return {
    url,
    password,
    port,
    createDatabase: async (name) => {
      await query(url(), `CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      return url(name);
    },
    stop: () => engine.stop('SIGINT'),
    start: () => engine.start(),
    close: async () => {
      await engine.stop('SIGINT');
      await removeEngineDir(dir);
    },
  };
}

/** PostgreSQL refuses to run as root: then initdb and postgres run as the `postgres` system user. */
async function postgresOwner(): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = await Promise.all([idOf('postgres', '-u'), idOf('postgres', '-g')]);
  return { uid, gid };
}

async function idOf(user: string, flag: '-u' | '-g'): Promise<number> {
  const { stdout } = await run('id', [flag, user]);
  return Number(stdout.trim());
}

/** A fast initdb (--no-sync): role `postgres` with `password`, scram-sha-256 for every connection. */
async function initCluster(dir: string, password: string, owner: Owner | undefined): Promise<void> {
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, password, { mode: 0o600 });
  if (owner) await chown(pwfile, owner.uid, owner.gid);
  const args = ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwfile}`];
  try {
    await run(join(POSTGRES_BIN, 'initdb'), [...args, '-E', 'UTF8', '--locale=C', '--no-sync'], {
      cwd: dir,
      ...owner,
    });
  } catch (error) {
    throw new Error(`initdb failed: ${describeExecError(error)}`);
  } finally {
    await rm(pwfile, { force: true });
  }
}

function postgresArgs(dir: string, port: number): string[] {
  const settings = {
    listen_addresses: HOST,
    unix_socket_directories: dir,
    fsync: 'off',
    max_connections: '200',
    shared_buffers: '64MB',
  };
  const flags = Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  return ['-D', join(dir, 'data'), '-p', String(port), ...flags];
}

/** True once a TCP connection with the password gets an answer to SELECT 1. */
async function acceptsQueries(url: string): Promise<boolean> {
  try {
    await query(url, 'SELECT 1');
    return true;
  } catch {
    return false;
  }
}

async function query(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query(sql);
  } finally {
    await client.end().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// NATS

export interface NatsEngine {
  /** nats://127.0.0.1:<port> */
  url: string;
  readonly port: number;
  /** SIGTERM; resolves when the process has exited. */
  stop(): Promise<void>;
  /** Starts again on the same port and JetStream store dir; resolves when the port accepts TCP. */
  start(): Promise<void>;
  /** stop() and remove the temp dir. */
  close(): Promise<void>;
}

/** nats-server with JetStream (store in the temp dir), no monitoring port. */
export async function startNats(): Promise<NatsEngine> {
  const dir = await makeEngineDir('jobevents-nats-');
  const port = await freePort();
  const engine = new EngineProcess({
    name: 'nats-server',
    command: NATS_SERVER,
    args: ['-js', '-a', HOST, '-p', String(port), '-sd', join(dir, 'js')],
    logPath: join(dir, 'nats.log'),
    ready: () => acceptsTcp(port),
  });
  await startOrRemove(engine, dir);
  return {
    url: `nats://${HOST}:${port}`,
    port,
    stop: () => engine.stop('SIGTERM'),
    start: () => engine.start(),
    close: async () => {
      await engine.stop('SIGTERM');
      await removeEngineDir(dir);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// nginx

export interface NginxEngine {
  /** The port it listens on. */
  readonly port: number;
  /** Its temp dir: the prefix (-p), so relative paths in the conf resolve here. */
  readonly dir: string;
  /** Fast shutdown (SIGTERM), then removes the dir. */
  close(): Promise<void>;
}

/**
 * Runs nginx in the foreground (-g 'daemon off; master_process off; pid <dir>/nginx.pid;',
 * -e <dir>/error.log, -p <dir>) on the given full nginx.conf text; resolves when `port` accepts TCP.
 *
 * The conf must not set `daemon`, `master_process` or `pid`. Debian's build writes the access log to
 * /var/log/nginx and temp files to /var/lib/nginx unless the conf says otherwise: give relative paths
 * (e.g. `access_log access.log;`) to keep them in the dir. `master_process off` keeps nginx to one
 * process, so the SIGKILL at exit leaves no orphaned worker still serving the port.
 */
export async function startNginx(confText: string, port: number): Promise<NginxEngine> {
  const dir = await makeEngineDir('jobevents-nginx-');
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, confText);
  const globals = `daemon off; master_process off; pid ${join(dir, 'nginx.pid')};`;
  const log = join(dir, 'error.log');
  const engine = new EngineProcess({
    name: 'nginx',
    command: NGINX,
    args: ['-c', conf, '-p', `${dir}/`, '-e', log, '-g', globals],
    logPath: log,
    ready: () => acceptsTcp(port),
  });
  await startOrRemove(engine, dir);
  return {
    port,
    dir,
    close: async () => {
      await engine.stop('SIGTERM');
      await removeEngineDir(dir);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Ports

/** A port free on 127.0.0.1 right now: bind port 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    socket.setTimeout(1_000);
    const done = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

// ---------------------------------------------------------------------------------------------
// One engine's process: started, awaited until ready, stopped, and killed if the worker exits

interface Owner {
  uid: number;
  gid: number;
}

interface EngineSpec {
  name: string;
  command: string;
  args: string[];
  /** Where its stdout and stderr go (appended, across restarts). */
  logPath: string;
  /** The user to run as (PostgreSQL under root), else this process's. */
  owner?: Owner;
  /** True once the engine serves; polled every 100 ms after each start. */
  ready: () => Promise<boolean>;
}

class EngineProcess {
  private current: Running | undefined;

  constructor(private readonly spec: EngineSpec) {}

  /** Spawns the engine (its output appended to its log) and waits until it is ready. */
  async start(): Promise<void> {
    const { name, command, args, logPath, owner } = this.spec;
    if (this.current && !this.current.ended) throw new Error(`${name} is already running`);
    const log = openSync(logPath, 'a');
    try {
      this.current = track(spawn(command, args, { stdio: ['ignore', log, log], ...owner }));
    } finally {
      closeSync(log);
    }
    try {
      await this.waitUntilReady(this.current);
    } catch (error) {
      await this.stop('SIGKILL');
      throw error;
    }
  }

  /** Sends `signal` and resolves once the process has exited (SIGKILL after 20 s). */
  async stop(signal: NodeJS.Signals): Promise<void> {
    const running = this.current;
    if (!running || running.ended) return;
    running.child.kill(signal);
    const timer = setTimeout(() => running.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await running.exited;
    clearTimeout(timer);
  }

  private async waitUntilReady(running: Running): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await this.spec.ready())) {
      if (running.ended) throw await this.failure(`ended while starting (${running.ended})`);
      if (Date.now() > deadline) throw await this.failure(`was not ready within ${READY_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
  }

  private async failure(what: string): Promise<Error> {
    const { name, logPath } = this.spec;
    const log = await readFile(logPath, 'utf8').catch(() => '');
    return new Error(`${name} ${what}; the end of ${logPath}:\n${tail(log)}`);
  }
}

/** A spawned engine: `ended` says how it ended (exit code, signal or spawn error) once it has. */
interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  ended?: string;
}

/** Watches a child until it ends, and has it killed if the worker exits first. */
function track(child: ChildProcess): Running {
  killAtExit(child);
  const running: Running = {
    child,
    exited: new Promise((resolve) => {
      const end = (how: string) => {
        running.ended ??= how;
        resolve();
      };
      child.once('exit', (code, signal) => end(signal ?? `exit code ${code}`));
      child.once('error', (error) => end(error.message));
    }),
  };
  return running;
}

// ---------------------------------------------------------------------------------------------
// Leftovers: whatever a test did not close() is killed (and its dir removed) when the worker exits

interface Leftovers {
  children: Set<ChildProcess>;
  dirs: Set<string>;
}

const LEFTOVERS = Symbol.for('jobevents.test.engines.leftovers');

/**
 * The worker's one registry, kept on Node's real process object: the `process` a test file sees is
 * Jest's copy, which never emits 'exit' (nor signals), and each test file loads this module anew.
 */
function leftovers(): Leftovers {
  const real = runInThisContext('process') as NodeJS.Process & { [LEFTOVERS]?: Leftovers };
  let registry = real[LEFTOVERS];
  if (!registry) {
    const created: Leftovers = { children: new Set(), dirs: new Set() };
    registry = real[LEFTOVERS] = created;
    real.once('exit', () => killLeftovers(created));
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      real.once(signal, () => {
        killLeftovers(created);
        // Die of the signal as if unhandled, unless someone else handles it.
        if (real.listenerCount(signal) === 0) real.kill(real.pid, signal);
      });
    }
  }
  return registry;
}

/**
 * Unref'd, so a forgotten engine never keeps the worker alive (the 'exit' hook then kills it); a
 * worker stopped by a signal (Jest ends a stuck worker with SIGTERM) kills it too.
 */
function killAtExit(child: ChildProcess): void {
  child.unref();
  const { children } = leftovers();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function killLeftovers({ children, dirs }: Leftovers): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A killed postgres's backends may still be writing: the dir stays, nothing runs on it.
    }
  }
  dirs.clear();
}

/** A fresh dir under os.tmpdir(), mode 0755, owned by `owner` when given (the parent stays traversable). */
async function makeEngineDir(prefix: string, owner?: Owner): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await chmod(dir, 0o755);
  if (owner) await chown(dir, owner.uid, owner.gid);
  leftovers().dirs.add(dir);
  return dir;
}

async function removeEngineDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  leftovers().dirs.delete(dir);
}

// ---------------------------------------------------------------------------------------------
// Small things

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last lines of a log, for an error message. */
function tail(text: string, lines = 30): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * execFile's error (its message holds the command and its stderr) with the command's stdout. Not
 * `instanceof Error`: Node's own errors come from outside Jest's realm.
 */
function describeExecError(error: unknown): string {
  const { message, stdout } = (error ?? {}) as { message?: string; stdout?: string };
  return [message ?? String(error), stdout].filter(Boolean).join('\n');
}

/** The newest PostgreSQL server of Debian's packages (/usr/lib/postgresql/<version>/bin). */
function postgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((name) => /^\d+$/.test(name))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return join(root, versions[0] ?? '15', 'bin');
}

/** Starts the engine; if it cannot start, its dir is removed before the error goes on. */
async function startOrRemove(engine: EngineProcess, dir: string): Promise<void> {
  try {
    await engine.start();
  } catch (error) {
    await removeEngineDir(dir);
    throw error;
  }
}
