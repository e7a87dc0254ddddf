import http from 'node:http';

/** One SSE frame (the fields the service sends; comments and unknown fields are skipped). */
export interface SseFrame {
  id?: string;
  retry?: number;
  data?: string;
}

/** Parses one frame's text (the lines between two blank lines), per the EventSource rules. */
export function parseFrame(text: string): SseFrame | null {
  const frame: SseFrame = {};
  const data: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') frame.id = value;
    else if (field === 'retry') frame.retry = Number(value);
    else if (field === 'data') data.push(value);
  }
  if (data.length > 0) frame.data = data.join('\n');
  return frame.id === undefined && frame.data === undefined && frame.retry === undefined ? null : frame;
}

/** Splits a byte stream into frames as chunks arrive (a frame may span chunks; a chunk may hold many). */
export class FrameSplitter {
  private buffer = '';

  push(chunk: string, onFrame: (frame: SseFrame) => void): void {
    this.buffer += chunk.includes('\r') ? chunk.replace(/\r\n?/g, '\n') : chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const frame = parseFrame(this.buffer.slice(0, end));
      this.buffer = this.buffer.slice(end + 2);
      if (frame) onFrame(frame);
    }
  }
}

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
        const splitter = new FrameSplitter();
        response.setEncoding('utf8');
        response.on('data', (chunk: string) =>
          splitter.push(chunk, (frame) => {
            if (frame.data === undefined) return;
            const parsed = JSON.parse(frame.data) as { type?: string; job_id?: string };
            if (frame.id !== undefined) return handlers.onEvent(Number(frame.id), parsed);
            handlers.onNotice?.(parsed);
            if (parsed.type === 'connected' && !settled) {
              settled = true;
              resolve({ close: () => request.destroy() });
            }
          }),
        );
        response.on('close', () => {
          fail(new Error(`GET ${url} ended before its connected frame`));
          handlers.onEnd?.();
        });
      },
    );
    request.on('error', fail);
  });
}
