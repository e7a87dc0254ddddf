import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { SqliteStore } from '../store/sqlite/sqlite-store';
import { parseCursor } from './event-query';
import { PollQuery, PollResponse, PollingService, pollBody } from './polling.service';

describe('PollingService on a real SQLite file', () => {
  let dir: string;
  let store: SqliteStore;
  let service: PollingService;
  /** A poll as a client reads it: the body parsed. */
  const polling = {
    poll: async (query: PollQuery): Promise<PollResponse> => JSON.parse(pollBody(await service.poll(query))),
  };
  const JOB = 'job-a';
  const OTHER = 'job-b';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'polling-'));
    store = new SqliteStore(join(dir, 'jobs.db'));
    service = new PollingService(store);
    // Rows written as they would be stored, with timestamps chosen here: a second connection to the same file.
    const db = new BetterSqlite3(join(dir, 'jobs.db'));
    const insert = db.prepare(
      `INSERT INTO events (job_id, ts, type, stage, status, message, payload) VALUES (?, ?, ?, ?, NULL, ?, '{}')`,
    );
    // 100 events sharing one timestamp, interleaved with another job's.
    for (let i = 0; i < 100; i++) {
      const jobId = i % 4 === 3 ? OTHER : JOB;
      const type = i % 10 === 0 ? 'gate_pause' : 'stage_log';
      insert.run(jobId, '2026-11-22T10:00:00.000Z', type, i < 50 ? 'script' : 'audio', `e${i}`);
    }
    insert.run(JOB, '2026-11-22T10:00:01.000Z', 'stage_log', null, 'later');
    db.close();
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages with next_since through events that share a timestamp, each exactly once', async () => {
    const all = (await polling.poll({ filter: { jobId: JOB }, cursor: parseCursor('0'), limit: 1000 })).events.map(
      (e) => e.id,
    );
    expect(all).toHaveLength(76);
    const seen: number[] = [];
    let cursor = parseCursor('0');
    for (;;) {
      const page = await polling.poll({ filter: { jobId: JOB }, cursor, limit: 7 });
      seen.push(...page.events.map((e) => e.id));
      if (!page.has_more) break;
      cursor = parseCursor(String(page.next_since));
    }
    expect(seen).toEqual(all);
  });

  it('returns the newest page ascending without a cursor', async () => {
    const page = await polling.poll({ filter: { jobId: JOB }, cursor: null, limit: 3 });
    expect(page.events.map((e) => e.message)).toEqual(['e97', 'e98', 'later']);
    expect(page).toMatchObject({ has_more: true, total: 3, since: null, next_since: page.events[2].id });
  });

  it('treats a timestamp cursor as "strictly after that time"', async () => {
    const page = await polling.poll({ filter: { jobId: JOB }, cursor: parseCursor('2026-11-22T10:00:00Z'), limit: 10 });
    expect(page.events.map((e) => e.message)).toEqual(['later']);
    expect(page.since).toBe('2026-11-22T10:00:00Z');
  });

  it('filters by types, stage and job, and keeps the cursor when nothing is new', async () => {
    const pauses = await polling.poll({ filter: { types: ['gate_pause'] }, cursor: parseCursor('0'), limit: 100 });
    expect(pauses.events.map((e) => e.message)).toEqual([
      'e0',
      'e10',
      'e20',
      'e30',
      'e40',
      'e50',
      'e60',
      'e70',
      'e80',
      'e90',
    ]);
    const audio = await polling.poll({
      filter: { jobId: OTHER, stage: 'audio' },
      cursor: parseCursor('0'),
      limit: 100,
    });
    expect(audio.events.every((e) => e.stage === 'audio' && e.job_id === OTHER)).toBe(true);
    const none = await polling.poll({ filter: { jobId: JOB }, cursor: parseCursor('100000'), limit: 10 });
    expect(none).toMatchObject({ events: [], total: 0, has_more: false, last_event_time: null, next_since: 100000 });
  });

  it('turns a timestamp into the last id at or before it by binary search, across gaps in the ids (runs last: it deletes rows)', async () => {
    expect(await store.lastIdAtOrBefore('2026-11-22T09:59:59.999Z')).toBe(0);
    expect(await store.lastIdAtOrBefore('2026-11-22T10:00:00.000Z')).toBe(100);
    expect(await store.lastIdAtOrBefore('2026-11-22T10:00:00.500Z')).toBe(100);
    expect(await store.lastIdAtOrBefore('2030-01-01T00:00:00.000Z')).toBe(101);
    const db = new BetterSqlite3(join(dir, 'jobs.db'));
    db.prepare('DELETE FROM events WHERE id BETWEEN 40 AND 100').run();
    db.close();
    expect(await store.lastIdAtOrBefore('2026-11-22T10:00:00.000Z')).toBe(39);
    expect(await store.lastIdAtOrBefore('2026-11-22T10:00:00.999Z')).toBe(39);
    expect(await store.lastIdAtOrBefore('2026-11-22T10:00:01.000Z')).toBe(101);
  });
});
