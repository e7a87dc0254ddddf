import { Client, Pool, PoolClient, PoolConfig, types } from 'pg';
import { StartupError } from '../../common/startup-error';
import { redactUrl } from '../../config/urls';
import { MIGRATIONS, MIGRATIONS_TABLE, unknownMigrationsProblem } from '../migrations';
import { isConnectionError } from './pg-errors';

/** Keys of pg_advisory_lock: migrations (one instance at a time), retention (one sweep cluster-wide). */
export const ADVISORY_LOCKS = { migrate: 7_301_001, retention: 7_301_002 } as const;
const INT8_OID = 20;
/** Connections per instance: one writer at a time, the rest for reads (polls, stream replays). */
const POOL_SIZE = 10;

/** bigint columns (ids, counts) as numbers: event ids stay far below 2^53. */
const parseInt8 = (value: string) => Number(value);

function poolConfig(url: string, lockTimeoutMs: number): PoolConfig {
  return {
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: 2000,
    idleTimeoutMillis: 30_000,
    // A write waits this long for another instance's lock before it answers 503 (storage.busy_timeout_ms).
    options: `-c lock_timeout=${lockTimeoutMs}`,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? parseInt8 : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
    },
  };
}

const listening = new WeakSet<PoolClient>();

/**
 * A connection of the pool for a transaction. While checked out, a connection whose server goes away
 * emits `error` on itself (not on the pool): that is heard here, and the query under way rejects.
 */
export async function checkout(pool: Pool): Promise<PoolClient> {
  const client = await pool.connect();
  if (!listening.has(client)) {
    listening.add(client);
    client.on('error', () => undefined);
  }
  return client;
}

/**
 * Connects to the database and brings its schema up to date, under an advisory lock so that N
 * instances starting at once migrate once. An unreachable server or a bad URL stops start-up with one
 * line (the URL shown without its password).
 */
export async function openPostgres(url: string, lockTimeoutMs: number): Promise<Pool> {
  const pool = new Pool(poolConfig(url, lockTimeoutMs));
  // An idle connection whose server went away: the pool drops it, the next checkout reconnects.
  pool.on('error', () => undefined);
  try {
    await migrate(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StartupError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    const hint = isConnectionError(error) ? ' (is PostgreSQL running there?)' : '';
    throw new StartupError('database', `Cannot use PostgreSQL at ${redactUrl(url)}: ${reason}${hint}`);
  }
  return pool;
}

async function migrate(pool: Pool): Promise<void> {
  const client = await checkout(pool);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCKS.migrate]);
    try {
      await client.query(MIGRATIONS_TABLE.postgres);
      const { rows } = await client.query<{ name: string }>('SELECT name FROM migrations');
      const applied = new Set(rows.map((row) => row.name));
      const problem = unknownMigrationsProblem(applied);
      if (problem) throw new StartupError('database', `PostgreSQL: ${problem}`);
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.name)) continue;
        await client.query('BEGIN');
        try {
          for (const sql of migration.postgres) await client.query(sql);
          await client.query('INSERT INTO migrations (timestamp, name) VALUES ($1, $2)', [
            migration.timestamp,
            migration.name,
          ]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw error;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.migrate]).catch(() => undefined);
    }
  } finally {
    client.release();
  }
}

/**
 * One instance per instance_id: a session advisory lock on its name, held by a connection of its own
 * for the life of the process (released by the server when the process dies). If the connection
 * drops (the server restarted), it is taken again when the server is back.
 */
export class InstanceIdLock {
  private client?: Client;
  private retryTimer?: NodeJS.Timeout;
  private isClosed = false;

  private constructor(
    private readonly url: string,
    private readonly instanceId: string,
  ) {}

  static async take(url: string, instanceId: string): Promise<InstanceIdLock> {
    const lock = new InstanceIdLock(url, instanceId);
    if (!(await lock.connect())) {
      throw new StartupError(
        'cluster',
        `instance_id ${instanceId} is in use by another running instance; give each instance its own cluster.instance_id (INSTANCE_ID)`,
      );
    }
    return lock;
  }

  async close(): Promise<void> {
    this.isClosed = true;
    clearTimeout(this.retryTimer);
    await this.client?.end().catch(() => undefined);
  }

  /** True when the lock is held (false: another live instance has the same id). */
  private async connect(): Promise<boolean> {
    const client = new Client({ connectionString: this.url, connectionTimeoutMillis: 2000 });
    client.on('error', () => this.reconnectLater());
    await client.connect();
    const { rows } = await client.query<{ held: boolean }>(
      "SELECT pg_try_advisory_lock(hashtext('jobevents instance ' || $1)) AS held",
      [this.instanceId],
    );
    if (!rows[0]?.held) {
      await client.end();
      return false;
    }
    this.client = client;
    return true;
  }

  private reconnectLater(): void {
    if (this.isClosed || this.retryTimer) return;
    this.client = undefined;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().catch(() => this.reconnectLater());
    }, 2000);
    this.retryTimer.unref();
  }
}
