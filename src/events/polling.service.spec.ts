import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS } from '../database/database.module';
import { EventStore } from './event-store';
import { parseCursor } from './event-query';
import { PollingService } from './polling.service';

describe('PollingService on a real SQLite file', () => {
  let dir: string;
  let dataSource: DataSource;
  let store: EventStore;
  let polling: PollingService;
  const JOB = 'job-a';
  const OTHER = 'job-b';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'polling-'));
    dataSource = new DataSource({
      type: 'better-sqlite3',
      database: join(dir, 'jobs.db'),
      entities: ENTITIES,
      migrations: MIGRATIONS,
    });
    await dataSource.initialize();
    await dataSource.runMigrations();
    const db = (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
    store = new EventStore({ db });
    polling = new PollingService(store);
    // 100 events sharing one timestamp, interleaved with another job's.
    for (let i = 0; i < 100; i++) {
      const jobId = i % 4 === 3 ? OTHER : JOB;
      const type = i % 10 === 0 ? 'gate_pause' : 'stage_log';
      store.insert(
        { jobId, type, stage: i < 50 ? 'script' : 'audio', message: `e${i}` },
        '2026-11-22T10:00:00.000Z',
        '{}',
      );
    }
    store.insert({ jobId: JOB, type: 'stage_log', message: 'later' }, '2026-11-22T10:00:01.000Z', '{}');
  });
  afterAll(async () => {
    await dataSource.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pages with next_since through events that share a timestamp, each exactly once', () => {
    const all = polling.poll({ filter: { jobId: JOB }, cursor: parseCursor('0'), limit: 1000 }).events.map((e) => e.id);
    expect(all).toHaveLength(76);
    const seen: number[] = [];
    let cursor = parseCursor('0');
    for (;;) {
      const page = polling.poll({ filter: { jobId: JOB }, cursor, limit: 7 });
      seen.push(...page.events.map((e) => e.id));
      if (!page.has_more) break;
      cursor = parseCursor(String(page.next_since));
    }
    expect(seen).toEqual(all);
  });

  it('returns the newest page ascending without a cursor', () => {
    const page = polling.poll({ filter: { jobId: JOB }, cursor: null, limit: 3 });
    expect(page.events.map((e) => e.message)).toEqual(['e97', 'e98', 'later']);
    expect(page).toMatchObject({ has_more: true, total: 3, since: null, next_since: page.events[2].id });
  });

  it('treats a timestamp cursor as "strictly after that time"', () => {
    const page = polling.poll({ filter: { jobId: JOB }, cursor: parseCursor('2026-11-22T10:00:00Z'), limit: 10 });
    expect(page.events.map((e) => e.message)).toEqual(['later']);
    expect(page.since).toBe('2026-11-22T10:00:00Z');
  });

  it('filters by types, stage and job, and keeps the cursor when nothing is new', () => {
    const pauses = polling.poll({ filter: { types: ['gate_pause'] }, cursor: parseCursor('0'), limit: 100 });
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
    const audio = polling.poll({ filter: { jobId: OTHER, stage: 'audio' }, cursor: parseCursor('0'), limit: 100 });
    expect(audio.events.every((e) => e.stage === 'audio' && e.job_id === OTHER)).toBe(true);
    const none = polling.poll({ filter: { jobId: JOB }, cursor: parseCursor('100000'), limit: 10 });
    expect(none).toMatchObject({ events: [], total: 0, has_more: false, last_event_time: null, next_since: 100000 });
  });

  it('turns a timestamp into the last id at or before it by binary search, across gaps in the ids (runs last: it deletes rows)', () => {
    expect(store.lastIdAtOrBefore('2026-11-22T09:59:59.999Z')).toBe(0);
    expect(store.lastIdAtOrBefore('2026-11-22T10:00:00.000Z')).toBe(100);
    expect(store.lastIdAtOrBefore('2026-11-22T10:00:00.500Z')).toBe(100);
    expect(store.lastIdAtOrBefore('2030-01-01T00:00:00.000Z')).toBe(101);
    const db = (dataSource.driver as unknown as { databaseConnection: Database }).databaseConnection;
    db.prepare('DELETE FROM events WHERE id BETWEEN 40 AND 100').run();
    expect(store.lastIdAtOrBefore('2026-11-22T10:00:00.000Z')).toBe(39);
    expect(store.lastIdAtOrBefore('2026-11-22T10:00:00.999Z')).toBe(39);
    expect(store.lastIdAtOrBefore('2026-11-22T10:00:01.000Z')).toBe(101);
  });
});
