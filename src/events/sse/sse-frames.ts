import { JobEvent } from '../../domain/events';

/** A frame that is never stored: no `id:` line, so Last-Event-ID always names the last stored event. */
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

function streamOnly(type: StreamOnlyFrame['type'], message: string, payload: Record<string, unknown>): StreamOnlyFrame {
  const ts = new Date().toISOString();
  return { ts, timestamp: ts, type, event_type: type, stage: null, status: null, message, payload };
}

/** The text of one frame: optional `id:` and `retry:` lines, then `data:` (one per line of text), then a blank line. */
export function formatFrame(data: string, id?: number, retryMs?: number): string {
  let frame = id !== undefined ? `id: ${id}\n` : '';
  if (retryMs !== undefined) frame += `retry: ${retryMs}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
  return frame + '\n';
}

/** The first frame: the reconnect hint and `connected`. No `event:` field on any frame, so onmessage sees all. */
export function connectedFrame(message: string, payload: Record<string, unknown>, retryMs: number): string {
  return formatFrame(JSON.stringify(streamOnly('connected', message, payload)), undefined, retryMs);
}

export function heartbeatFrame(): string {
  return formatFrame(JSON.stringify(streamOnly('heartbeat', 'Server alive', { timestamp: new Date().toISOString() })));
}

/** A stored event: its id is the frame's `id:`, the cursor a reconnect resumes from. */
export function eventFrame(event: JobEvent, json: string = JSON.stringify(event)): string {
  return formatFrame(json, event.id);
}

/** Stream-only notice that retention removed events after the cursor (docs/API.md, "SSE"). */
export function noticeFrame(notice: object): string {
  return formatFrame(JSON.stringify(notice));
}

/** The last frame of every stream when the service stops; the client reconnects with Last-Event-ID. */
export function shutdownFrame(): string {
  return formatFrame(JSON.stringify(streamOnly('shutdown', 'Server shutting down', {})));
}
