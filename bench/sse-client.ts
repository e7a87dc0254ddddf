import http from 'node:http';
import { SseParser } from '../src/common/sse-parser';

export interface StreamHandlers {
  /** A stored event's frame (it has an `id:`), with its data parsed. */
  onEvent: (id: number, event: { type?: string; job_id?: string }) => void;
  /** A stream-only frame (connected, heartbeat, …). */
  onNotice?: (notice: { type?: string }) => void;
  onEnd?: () => void;
}

export interface OpenStream {
  close: () => void;
}

/**
 * Opens an SSE stream with a raw http.get and resolves once its `connected` frame has been parsed
 * (the subscription exists on the server from then on); rejects on any other status than 200.
 */
export function openStream(
  url: string,
  token: string,
  agent: http.Agent,
  handlers: StreamHandlers,
): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (!settled) {
        settled = true;
        reject(error);
      }
    };
    const request = http.get(
      url,
      { agent, headers: { Accept: 'text/event-stream', Authorization: `Bearer ${token}` } },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return fail(new Error(`GET ${url} answered ${response.statusCode}`));
        }
        const parser = new SseParser((frame) => {
          if (frame.data === undefined) return;
          const parsed = JSON.parse(frame.data) as { type?: string; job_id?: string };
          if (frame.id !== undefined) return handlers.onEvent(Number(frame.id), parsed);
          handlers.onNotice?.(parsed);
          if (parsed.type === 'connected' && !settled) {
            settled = true;
            resolve({ close: () => request.destroy() });
          }
        });
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => parser.push(chunk));
        response.on('close', () => {
          fail(new Error(`GET ${url} ended before its connected frame`));
          handlers.onEnd?.();
        });
      },
    );
    request.on('error', fail);
  });
}
