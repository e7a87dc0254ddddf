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
  'job_deleted',
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

/** An event as its JSON, for readers that only pass it on (polling bodies): no parse, no stringify. */
export interface SerializedEvent {
  id: number;
  ts: string;
  json: string;
}

const ID_PLACEHOLDER = '{"id":0,';

/**
 * An event's JSON without its leading `{"id":<id>,`: what the store keeps beside the columns, since
 * the id is assigned by the insert itself. `withId` puts the id back in front: the event's JSON,
 * byte for byte what JSON.stringify(makeEvent(...)) gives (id is the first key).
 */
export function jsonAfterId(event: JobEvent): string {
  // `id` first (as makeEvent puts it), whatever the event's own id.
  return JSON.stringify({ ...event, id: 0 }).slice(ID_PLACEHOLDER.length);
}

export function withId(id: number, jsonAfterIdText: string): string {
  return `{"id":${id},${jsonAfterIdText}`;
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
