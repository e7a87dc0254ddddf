import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { Database } from 'better-sqlite3';
import { StartupError } from '../../common/startup-error';
import { MIGRATIONS, MIGRATIONS_TABLE, unknownMigrationsProblem } from '../migrations';
import { storeErrorOf } from './sqlite-errors';

/** The WAL is cut back to this size after each checkpoint, so a burst does not keep its disk space. */
const JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024;

/**
 * Opens the database file in WAL mode and brings its schema up to date. WAL lets readers of other
 * processes (an operator's sqlite3 shell) run while a write commits. Start-up may wait for another
 * process's lock; after it, the busy timeout is 0: SQLite's busy handler sleeps on the event loop,
 * so a lock held elsewhere is waited out asynchronously instead (unit-batches.ts).
 */
export function openSqlite(path: string): Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new BetterSqlite3(path, { timeout: 5000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
  migrate(db);
  db.pragma('busy_timeout = 0');
  return db;
}

function migrate(db: Database): void {
  db.exec(MIGRATIONS_TABLE.sqlite);
  const applied = new Set((db.prepare('SELECT name FROM migrations').all() as { name: string }[]).map((r) => r.name));
  const problem = unknownMigrationsProblem(applied);
  if (problem) throw new StartupError('database', `${db.name}: ${problem}`);
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.name)) continue;
    db.transaction(() => {
      for (const sql of migration.sqlite) db.exec(sql);
      db.prepare('INSERT INTO migrations (timestamp, name) VALUES (?, ?)').run(migration.timestamp, migration.name);
    }).immediate();
  }
}

/**
 * One connection, one writer at a time: a unit of work holds the connection from BEGIN to COMMIT,
 * and reads asked for meanwhile wait their turn, so nothing outside a transaction ever sees its
 * uncommitted rows. When idle, a read runs at once (better-sqlite3 is synchronous).
 */
export class ExclusiveConnection {
  private isBusy = false;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly db: Database) {}

  read<T>(query: () => T): Promise<T> {
    if (!this.isBusy) {
      try {
        return Promise.resolve(query());
      } catch (error) {
        return Promise.reject(storeErrorOf(error) as Error);
      }
    }
    return this.exclusive(async () => {
      try {
        return query();
      } catch (error) {
        throw storeErrorOf(error);
      }
    });
  }

  async exclusive<T>(task: () => Promise<T>): Promise<T> {
    if (this.isBusy) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.isBusy = true;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.isBusy = false;
    }
  }
}
