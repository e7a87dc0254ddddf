import { EventFilter } from '../../domain/events';
import { TERMINAL_STATUSES } from '../../domain/stages';
import { JobAggregate } from '../store.port';
import { ArtifactRow, GateRow, JobRow, toArtifact, toGate, toJob } from '../rows';
import { StatementCache } from './statement-cache';

/** A list parameter as one JSON text, so each statement keeps one shape whatever the list's length. */
export const IN_LIST = 'SELECT value FROM json_each(?)';

/**
 * The id a timestamp cursor stands for: the last event stored at or before `ts` (0 if none). `ts`
 * never decreases as ids grow (MonotonicClock), so a binary search over the primary key finds it in
 * ~17 index seeks for 100,000 events, where a `WHERE ts <= ?` would scan.
 */
export function lastIdAtOrBefore(statements: StatementCache, ts: string): number {
  const firstAtOrAfter = statements.get('SELECT id, ts FROM events WHERE id >= ? ORDER BY id LIMIT 1');
  // Two one-row seeks: MIN and MAX in one SELECT would make SQLite scan the table.
  const first = statements.get('SELECT id FROM events ORDER BY id ASC LIMIT 1').get() as { id: number } | undefined;
  const last = statements.get('SELECT id FROM events ORDER BY id DESC LIMIT 1').get() as { id: number } | undefined;
  if (!first || !last) return 0;
  let found = 0;
  let low = first.id;
  let high = last.id;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const row = firstAtOrAfter.get(middle) as { id: number; ts: string } | undefined;
    if (!row || row.id > high) high = middle - 1;
    else if (row.ts <= ts) {
      found = row.id;
      low = row.id + 1;
    } else high = middle - 1;
  }
  return found;
}

/** Removes events of finished jobs older than `cutoff`, and all but the newest `cap` of any job; marks each job. */
export function pruneEvents(
  statements: StatementCache,
  cutoff: string,
  cap: number,
): { removedOld: number; removedOverCap: number } {
  const markPruned = statements.get(
    'UPDATE jobs SET events_pruned_through = MAX(COALESCE(events_pruned_through, 0), ?) WHERE id = ?',
  );
  let removedOld = 0;
  const old = statements
    .get(
      `SELECT e.job_id AS jobId, MAX(e.id) AS through FROM events e JOIN jobs j ON j.id = e.job_id
         WHERE j.status IN (${IN_LIST}) AND e.ts < ? GROUP BY e.job_id`,
    )
    .all(JSON.stringify(TERMINAL_STATUSES), cutoff) as { jobId: string; through: number }[];
  for (const { jobId, through } of old) {
    removedOld += statements.get('DELETE FROM events WHERE job_id = ? AND ts < ?').run(jobId, cutoff).changes;
    markPruned.run(through, jobId);
  }
  // The `job_deleted` events of jobs that are gone age out like any finished job's.
  removedOld += statements
    .get('DELETE FROM events WHERE ts < ? AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.id = events.job_id)')
    .run(cutoff).changes;
  let removedOverCap = 0;
  const crowded = statements.get('SELECT job_id AS jobId FROM events GROUP BY job_id HAVING COUNT(*) > ?').all(cap) as {
    jobId: string;
  }[];
  for (const { jobId } of crowded) {
    const boundary = statements
      .get('SELECT id FROM events WHERE job_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?')
      .get(jobId, cap) as { id: number };
    removedOverCap += statements.get('DELETE FROM events WHERE job_id = ? AND id <= ?').run(jobId, boundary.id).changes;
    markPruned.run(boundary.id, jobId);
  }
  return { removedOld, removedOverCap };
}

/** Jobs with their gates (stage order) and artifacts (creation order), in two queries for all of them. */
export function withChildren(statements: StatementCache, rows: JobRow[]): JobAggregate[] {
  if (rows.length === 0) return [];
  const ids = JSON.stringify(rows.map((row) => row.id));
  const gates = statements
    .get(`SELECT * FROM gates WHERE job_id IN (${IN_LIST}) ORDER BY position`)
    .all(ids) as GateRow[];
  const artifacts = statements
    .get(`SELECT * FROM artifacts WHERE job_id IN (${IN_LIST}) ORDER BY id`)
    .all(ids) as ArtifactRow[];
  return rows.map((row) => ({
    ...toJob(row),
    gates: gates.filter((gate) => gate.job_id === row.id).map(toGate),
    artifacts: artifacts.filter((artifact) => artifact.job_id === row.id).map(toArtifact),
  }));
}

/** The WHERE clauses (after a leading condition) and parameters of an event filter. */
export function whereClause(filter: EventFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.jobId !== undefined) {
    clauses.push('AND job_id = ?');
    params.push(filter.jobId);
  }
  if (filter.types && filter.types.length > 0) {
    clauses.push(`AND type IN (${filter.types.map(() => '?').join(', ')})`);
    params.push(...filter.types);
  }
  if (filter.stage !== undefined) {
    clauses.push('AND stage = ?');
    params.push(filter.stage);
  }
  return { where: clauses.join(' '), params };
}
