import { JobEvent, PublishedEvent } from '../../domain/events';
import { HistoryTruncated } from '../history-truncation';

/** One frame on the wire: only stored events have an `id`, so Last-Event-ID always names a stored event. */
export interface SseFrame {
  id?: number;
  retry?: number;
  data: string;
}

/** The body of a frame that is never stored (docs/API.md, "SSE"). */
export interface StreamOnlyFrame {
  ts: string;
  timestamp: string;
  type: 'connected' | 'heartbeat' | 'shutdown';
  event_type: 'connected' | 'heartbeat' | 'shutdown';
  stage: null;
  status: null;
  message: string;
  payload: Record<string, unknown>;
}

/** What a stream's body starts with, before the first frame (Nest's SseStream wrote the same). */
export const STREAM_PREAMBLE = '\n';

/**
 * A frame's text as Nest's SseStream wrote it: `id:`, then `retry:`, then one `data:` line per line of
 * data, then a blank line. No `event:` field on any frame, so `EventSource.onmessage` sees them all.
 */
export function formatFrame(frame: SseFrame): string {
  let text = frame.id === undefined ? '' : `id: ${frame.id}\n`;
  if (frame.retry !== undefined) text += `retry: ${frame.retry}\n`;
  for (const line of frame.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return text + '\n';
}

function streamOnly(type: StreamOnlyFrame['type'], message: string, payload: Record<string, unknown>): string {
  const ts = new Date().toISOString();
  const body: StreamOnlyFrame = {
    ts,
    timestamp: ts,
    type,
    event_type: type,
    stage: null,
    status: null,
    message,
    payload,
  };
  return JSON.stringify(body);
}

/** The first frame: the reconnect hint and `connected`. */
export function connectedFrame(message: string, payload: Record<string, unknown>, retryMs: number): SseFrame {
  return { retry: retryMs, data: streamOnly('connected', message, payload) };
}

export function heartbeatFrame(): SseFrame {
  return { data: streamOnly('heartbeat', 'Server alive', { timestamp: new Date().toISOString() }) };
}

/** A stored event: its database id is the frame's `id:`, the cursor a reconnect resumes from. */
export function eventFrame(event: JobEvent, json: string = JSON.stringify(event)): SseFrame {
  return { id: event.id, data: json };
}

const frameBytes = new WeakMap<PublishedEvent, Buffer>();

/**
 * A published event's frame as bytes, made once for every stream it goes to (the bus hands each
 * subscriber the same object). Event JSON never holds a raw line break, so its frame is one `data:` line.
 */
export function eventFrameBytes(published: PublishedEvent): Buffer {
  let bytes = frameBytes.get(published);
  if (!bytes) {
    bytes = Buffer.from(`id: ${published.event.id}\ndata: ${published.json}\n\n`);
    frameBytes.set(published, bytes);
  }
  return bytes;
}

/** Sent first on a resume from before events that retention removed (docs/API.md, "SSE"). */
export function truncationFrame(notice: HistoryTruncated): SseFrame {
  return { data: JSON.stringify(notice) };
}

/** The last frame of every stream when the service stops; the client reconnects with Last-Event-ID. */
export function shutdownFrame(): SseFrame {
  return { data: streamOnly('shutdown', 'Server shutting down', {}) };
}
