import { EventType, JobEvent, SerializedEvent, makeEvent, withId } from '../domain/events';
import { Stage } from '../domain/stages';
import { ArtifactRecord, GateRecord, JobRecord } from './store.port';

/**
 * Rows as the adapters read them (the same columns in both engines; SQLite gives booleans as 0/1,
 * PostgreSQL as booleans), and the one mapping of each to the port's records.
 */
export type JobRow = Omit<JobRecord, 'cfg'> & { cfg: string };

export interface GateRow {
  job_id: string;
  stage: Stage;
  required: number | boolean;
  approved: number | boolean | null;
  by: string | null;
  at: string | null;
  notes: string | null;
  patch: string | null;
  auto_approved: number | boolean;
  timeout_seconds: number | null;
  auto_approve_at: string | null;
}

export interface ArtifactRow {
  job_id: string;
  stage: Stage;
  kind: string;
  path: string;
  meta: string;
  created_at: string;
  size_bytes: number;
  checksum: string;
}

export interface EventRow {
  id: number;
  job_id: string;
  ts: string;
  type: EventType;
  stage: Stage | null;
  status: string | null;
  message: string;
  payload: string;
}

export const JOB_COLUMNS =
  'id, seq, slug, intent, status, stage, cfg, operator, created_at, updated_at, started_at, deadline_at';

export function toJob(row: JobRow): JobRecord {
  return { ...row, cfg: JSON.parse(row.cfg) as Record<string, unknown> };
}

export function toGate(row: GateRow): GateRecord {
  return {
    stage: row.stage,
    required: Boolean(row.required),
    approved: row.approved === null ? null : Boolean(row.approved),
    by: row.by,
    at: row.at,
    notes: row.notes,
    patch: row.patch === null ? null : (JSON.parse(row.patch) as Record<string, unknown>),
    auto_approved: Boolean(row.auto_approved),
    timeout_seconds: row.timeout_seconds,
    auto_approve_at: row.auto_approve_at,
  };
}

export function toArtifact(row: ArtifactRow): ArtifactRecord {
  return {
    stage: row.stage,
    kind: row.kind,
    path: row.path,
    meta: JSON.parse(row.meta) as Record<string, unknown>,
    created_at: row.created_at,
    size_bytes: row.size_bytes,
    checksum: row.checksum,
  };
}

export function toEvent(row: EventRow): JobEvent {
  const payload = JSON.parse(row.payload) as Record<string, unknown>;
  return makeEvent(row.id, row.job_id, row.ts, row.type, row.stage, row.status, row.message, payload);
}

/** A row of `SELECT id, ts, json`: the stored JSON, or (stored before it was kept) null. */
export interface SerializedRow {
  id: number;
  ts: string;
  json: string | null;
}

/** The event's JSON from its row; a row without one is read whole by `fullRow` and serialized. */
export function toSerialized(row: SerializedRow, fullRow: (id: number) => EventRow): SerializedEvent {
  return {
    id: row.id,
    ts: row.ts,
    json: row.json === null ? JSON.stringify(toEvent(fullRow(row.id))) : withId(row.id, row.json),
  };
}
