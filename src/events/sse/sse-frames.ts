import { MessageEvent } from '@nestjs/common';
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

/**
 * A frame written without an `id:` line. Nest's SSE writer numbers every message that has no id
 * (which would overwrite the client's Last-Event-ID with a per-connection counter); this message
 * reports no id and ignores the number Nest assigns, so none is written.
 */
export class StreamOnlyMessage implements MessageEvent {
  constructor(
    readonly data: string,
    readonly retry?: number,
  ) {}

  get id(): undefined {
    return undefined;
  }

  set id(_assignedByNest: string | undefined) {
    // Deliberately dropped: see the class comment.
  }
}

/** The first frame: the reconnect hint and `connected`. No `event:` field on any frame, so onmessage sees all. */
export function connectedFrame(message: string, payload: Record<string, unknown>, retryMs: number): MessageEvent {
  return new StreamOnlyMessage(JSON.stringify(streamOnly('connected', message, payload)), retryMs);
}

export function heartbeatFrame(): MessageEvent {
  return new StreamOnlyMessage(
    JSON.stringify(streamOnly('heartbeat', 'Server alive', { timestamp: new Date().toISOString() })),
  );
}

/** A stored event: its database id is the frame's `id:`, the cursor a reconnect resumes from. */
export function eventFrame(event: JobEvent, json: string = JSON.stringify(event)): MessageEvent {
  return { id: String(event.id), data: json };
}

/** The last frame of every stream when the service stops (docs/OPERATIONS.md); the client reconnects with Last-Event-ID. */
export function shutdownFrame(): MessageEvent {
  return new StreamOnlyMessage(JSON.stringify(streamOnly('shutdown', 'Server shutting down', {})));
}
