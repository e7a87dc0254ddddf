import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from 'better-sqlite3';
import { BACKSTOP_PAGES, CheckpointThread } from './checkpoint-thread';
import { openSqlite } from './sqlite-connection';

/** Resolves once `check` holds, polling every 5 ms for up to 5 s. */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 5000) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('CheckpointThread on a real file', () => {
  let dir: string;
  let path: string;
  let db: Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'checkpoint-'));
    path = join(dir, 'jobs.db');
    db = openSqlite(path);
    db.exec('CREATE TABLE filler (text TEXT)');
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** ~400 pages into the WAL: far below the point where a commit would checkpoint it itself. */
  const fill = () => {
    const insert = db.prepare('INSERT INTO filler (text) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < 400; i++) insert.run('x'.repeat(3000));
    })();
  };

  it('copies the WAL into the database file while the event loop only commits', async () => {
    const thread = new CheckpointThread(db, 10);
    try {
      await until(() => thread.checkpoints > 0);
      const before = statSync(path).size;
      fill();
      const runs = thread.checkpoints;
      // Two runs later, one started after the commit has ended.
      await until(() => thread.checkpoints >= runs + 2);
      expect(statSync(path).size).toBeGreaterThan(before + 300 * 4096);
    } finally {
      await thread.close();
    }
  });

  it('leaves checkpoints to the thread while it runs, and gives them back when it stops', async () => {
    const thread = new CheckpointThread(db, 10);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(BACKSTOP_PAGES);
    await thread.close();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    // Its connection is closed: the database's last one, closing, checkpoints and removes the WAL.
    fill();
    db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
  });
});
