import { Stage } from './stages';

export const EVENT_TYPES = [
  'job_created',
  'job_started',
  'stage_started',
  'stage_log',
  'artifact_created',
  'stage_completed',
  'stage_failed',
  'gate_pause',
  'gate_approved',
  'gate_rejected',
  'gate_auto_approved',
  'patch_applied',
  'patch_applied_direct',
  'job_resumed',
  'job_completed',
  'job_failed',
  'job_canceled',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}

/** The event as served on every surface (SQLite row, JSONL line, polling, SSE). */
export interface JobEvent {
  id: number;
  job_id: string;
  ts: string;
  /** The reference's name for `ts`. */
  timestamp: string;
  type: EventType;
  /** The reference's name for `type`. */
  event_type: EventType;
  stage: Stage | null;
  status: string | null;
  message: string;
  payload: Record<string, unknown>;
}

/** An event before it is stored: the store adds its id and timestamps (StoreTx.appendEvent). */
export interface EventInput {
  jobId: string;
  type: EventType;
  stage?: Stage | null;
  status?: string | null;
  message: string;
  payload?: Record<string, unknown>;
}

/** An event and its JSON text, serialized once for the JSONL line and every SSE frame. */
export interface PublishedEvent {
  event: JobEvent;
  json: string;
}

/** What polling and SSE may filter on. */
export interface EventFilter {
  jobId?: string;
  types?: EventType[];
  stage?: Stage;
}

/** The one constructor of the wire shape, so every surface serializes the same keys in the same order. */
export function makeEvent(
  id: number,
  jobId: string,
  ts: string,
  type: EventType,
  stage: Stage | null,
  status: string | null,
  message: string,
  payload: Record<string, unknown>,
): JobEvent {
  return { id, job_id: jobId, ts, timestamp: ts, type, event_type: type, stage, status, message, payload };
}
