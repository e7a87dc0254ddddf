import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { JobEvents, StageEvents } from '../../domain/event-catalog';
import { MIGRATIONS } from '../migrations';
import { Commit, NewJob } from '../store.port';
import { SqliteStore } from './sqlite-store';

const newJob = (id: string): NewJob => ({
  id,
  slug: `slug-${id}`,
  intent: 'intent',
  cfg: { brief: {} },
  operator: 'admin',
  created_at: new Date().toISOString(),
});
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe('SqliteStore on a real file', () => {
  let dir: string;
  let store: SqliteStore;
  let commits: Commit[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-'));
    store = new SqliteStore(join(dir, 'jobs.db'));
    commits = [];
    store.onCommit((batch) => commits.push(...batch));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits a unit of work whole, and reports it once with its events serialized', async () => {
    await store.unitOfWork(async (tx) => {
      await tx.insertJob(newJob(id(1)), [{ stage: 'script', required: true, timeout_seconds: null }]);
      await tx.appendEvent(JobEvents.created(id(1), 'slug', 'admin'));
    });
    expect((await store.job(id(1)))?.gates.map((gate) => gate.stage)).toEqual(['script']);
    expect(commits).toHaveLength(1);
    const [{ event, json }] = commits[0].events;
    expect(JSON.parse(json)).toEqual(event);
    expect(event).toMatchObject({ id: 1, job_id: id(1), type: 'job_created', status: 'queued' });
  });

  it('rolls a unit that throws back whole and reports nothing', async () => {
    await expect(
      store.unitOfWork(async (tx) => {
        await tx.insertJob(newJob(id(2)), []);
        await tx.appendEvent(JobEvents.created(id(2), 'slug', 'admin'));
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await store.jobExists(id(2))).toBe(false);
    expect(await store.eventsAfter({}, 0, 10)).toEqual([]);
    expect(commits).toEqual([]);
  });

  it('lets units asked for together share a transaction, rolling back only the one that throws', async () => {
    const results = await Promise.allSettled([
      store.unitOfWork((tx) => tx.insertJob(newJob(id(11)), [])),
      store.unitOfWork(async (tx) => {
        await tx.insertJob(newJob(id(12)), []);
        await tx.appendEvent(JobEvents.created(id(12), 'slug', 'admin'));
        throw new Error('this one only');
      }),
      store.unitOfWork(async (tx) => {
        await tx.insertJob(newJob(id(13)), []);
        await tx.appendEvent(JobEvents.created(id(13), 'slug', 'admin'));
      }),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect([await store.jobExists(id(11)), await store.jobExists(id(12)), await store.jobExists(id(13))]).toEqual([
      true,
      false,
      true,
    ]);
    expect(commits.flatMap((commit) => commit.events.map(({ event }) => event.job_id))).toEqual([id(13)]);
    expect((await store.eventsAfter({}, 0, 10)).map((event) => event.job_id)).toEqual([id(13)]);
  });

  it('never lets a read see the rows of a unit still open: the read waits for it to end', async () => {
    let read: Promise<boolean> | undefined;
    await expect(
      store.unitOfWork(async (tx) => {
        await tx.insertJob(newJob(id(3)), []);
        read = store.jobExists(id(3));
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await read).toBe(false);
  });

  it('runs units in the order they are asked for: ids and timestamps grow together', async () => {
    await store.unitOfWork((tx) => tx.insertJob(newJob(id(4)), []));
    await Promise.all(
      Array.from({ length: 50 }, (_, n) =>
        store.unitOfWork((tx) => tx.appendEvent(StageEvents.log(id(4), 'script', 'stdout', `line ${n}`))),
      ),
    );
    const events = await store.eventsAfter({ jobId: id(4) }, 0, 100);
    expect(events.map((event) => event.message)).toEqual(Array.from({ length: 50 }, (_, n) => `line ${n}`));
    for (let i = 1; i < events.length; i++) {
      expect(events[i].id).toBeGreaterThan(events[i - 1].id);
      expect(events[i].ts >= events[i - 1].ts).toBe(true);
    }
    expect(commits.flatMap((commit) => commit.events.map(({ event }) => event.id))).toEqual(events.map((e) => e.id));
  });

  it('reports the gates a unit decided, as committed', async () => {
    await store.unitOfWork((tx) =>
      tx.insertJob(newJob(id(5)), [{ stage: 'script', required: true, timeout_seconds: 60 }]),
    );
    const decision = { approved: false, by: 'dana', at: 'now', notes: 'n', patch: { type: 'x' }, auto_approved: false };
    await store.unitOfWork((tx) => tx.decideGate(id(5), 'script', decision));
    expect(commits.at(-1)?.decidedGates).toEqual([
      { jobId: id(5), gate: expect.objectContaining({ stage: 'script', ...decision, timeout_seconds: 60 }) },
    ]);
  });

  it('gives the WAL of a burst back to the disk when compacted', async () => {
    await store.unitOfWork((tx) => tx.insertJob(newJob(id(20)), []));
    const line = 'x'.repeat(2000);
    await Promise.all(
      Array.from({ length: 3000 }, () =>
        store.unitOfWork((tx) => tx.appendEvent(StageEvents.log(id(20), 'script', 'stdout', line))),
      ),
    );
    expect(statSync(join(dir, 'jobs.db-wal')).size).toBeGreaterThan(1_000_000);
    await store.compact();
    expect(statSync(join(dir, 'jobs.db-wal')).size).toBe(0);
    expect(await store.eventsAfter({ jobId: id(20) }, 0, 5000)).toHaveLength(3000);
  });

  it('finds the newest retention mark of all jobs by an index seek, not a scan of the jobs table', async () => {
    const check = new BetterSqlite3(join(dir, 'jobs.db'), { readonly: true });
    try {
      const plan = check
        .prepare('EXPLAIN QUERY PLAN SELECT COALESCE(MAX(events_pruned_through), 0) AS id FROM jobs')
        .all() as { detail: string }[];
      expect(plan.map((step) => step.detail)).toEqual([
        expect.stringContaining('USING COVERING INDEX idx_jobs_events_pruned_through'),
      ]);
    } finally {
      check.close();
    }
  });

  it('finds the oldest queued job by an index seek, not by sorting the queue', async () => {
    const check = new BetterSqlite3(join(dir, 'jobs.db'), { readonly: true });
    try {
      const plan = check
        .prepare(
          `EXPLAIN QUERY PLAN SELECT id FROM jobs WHERE status = 'queued' AND id NOT IN (SELECT value FROM json_each('[]'))
           ORDER BY seq ASC LIMIT 1`,
        )
        .all() as { detail: string }[];
      const steps = plan.map((step) => step.detail);
      expect(steps).toContainEqual(expect.stringContaining('USING INDEX idx_jobs_status_seq (status=?)'));
      expect(steps).not.toContainEqual(expect.stringContaining('TEMP B-TREE'));
    } finally {
      check.close();
    }
  });

  it('claims queued jobs oldest first, skipping the ones named, and tracks their leases', async () => {
    for (const n of [6, 7, 8]) await store.unitOfWork((tx) => tx.insertJob(newJob(id(n)), []));
    const now = new Date().toISOString();
    const claimed = await store.unitOfWork((tx) => tx.claimNextQueued('me', '2000-01-01T00:00:00.000Z', now, [id(6)]));
    expect(claimed?.id).toBe(id(7));
    await store.unitOfWork((tx) => tx.updateJob(id(7), { status: 'running', updated_at: now }));
    expect(await store.expiredLeases(now)).toEqual([id(7)]);
    await store.renewLeases('someone else', [id(7)], '2999-01-01T00:00:00.000Z');
    expect(await store.expiredLeases(now)).toEqual([id(7)]);
    await store.renewLeases('me', [id(7)], '2999-01-01T00:00:00.000Z');
    expect(await store.expiredLeases(now)).toEqual([]);
    // Released while still running (its instance stopped it): nobody holds it, so it is up for takeover.
    await store.releaseLease('someone else', id(7));
    expect(await store.expiredLeases(now)).toEqual([]);
    await store.releaseLease('me', id(7));
    expect(await store.expiredLeases(now)).toEqual([id(7)]);
  });
});

describe('SqliteStore migrations', () => {
  it('upgrades a database made by the earlier TypeORM runner in place, keeping its jobs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'store-'));
    const path = join(dir, 'jobs.db');
    try {
      // As the earlier version left it: its migrations table and the first two migrations applied.
      const db = new BetterSqlite3(path);
      db.exec(
        `CREATE TABLE "migrations" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "timestamp" bigint NOT NULL, "name" varchar NOT NULL)`,
      );
      for (const migration of MIGRATIONS.slice(0, 2)) {
        for (const sql of migration.sqlite) db.exec(sql);
        db.prepare('INSERT INTO migrations (timestamp, name) VALUES (?, ?)').run(migration.timestamp, migration.name);
      }
      db.prepare(
        `INSERT INTO jobs (id, seq, slug, intent, status, stage, cfg, operator, created_at, updated_at)
         VALUES (?, 1, 'old', 'i', 'queued', 'outline', '{}', 'admin', 'then', 'then')`,
      ).run(id(9));
      db.close();
      const store = new SqliteStore(path);
      try {
        expect((await store.job(id(9)))?.slug).toBe('old');
        const claimed = await store.unitOfWork((tx) => tx.claimNextQueued('me', 'later', 'now', []));
        expect(claimed?.id).toBe(id(9));
      } finally {
        await store.close();
      }
      const check = new BetterSqlite3(path);
      const names = (check.prepare('SELECT name FROM migrations ORDER BY id').all() as { name: string }[]).map(
        (row) => row.name,
      );
      check.close();
      expect(names).toEqual(MIGRATIONS.map((migration) => migration.name));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
