import http from 'node:http';

export interface SseFrame {
  id?: string;
  retry?: number;
  event?: string;
  data?: string;
  /** `data` parsed as JSON, when it is JSON. */
  json?: any;
  /** The frame's raw text, to check which fields it has. */
  raw: string;
}

export interface SseClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: SseFrame[];
  /** Frames of stored events (those with an `id:`), parsed. */
  events: () => any[];
  waitFor: (predicate: (frames: SseFrame[]) => boolean, timeoutMs?: number, what?: string) => Promise<void>;
  ended: Promise<void>;
  close: () => void;
  /** The body, for a response that is not a stream (e.g. a 404). */
  body: () => string;
}

/**
 * Opens an SSE stream with a raw http.get (supertest waits for the end of a response, which a stream
 * never reaches) and parses frames as they arrive off the socket.
 */
export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Accept: 'text/event-stream', ...headers } }, (res) => {
      const frames: SseFrame[] = [];
      let buffer = '';
      let body = '';
      const waiters = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        buffer += chunk;
        let index: number;
        while ((index = buffer.indexOf('\n\n')) >= 0) {
          const raw = buffer.slice(0, index);
          buffer = buffer.slice(index + 2);
          const frame = parseFrame(raw);
          if (frame) frames.push(frame);
        }
        for (const wake of waiters) wake();
      });
      const ended = new Promise<void>((done) => {
        res.on('end', done);
        res.on('close', done);
        res.on('error', done);
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        frames,
        events: () => frames.filter((frame) => frame.id !== undefined).map((frame) => frame.json),
        waitFor: (predicate, timeoutMs = 5000, what = 'frames') =>
          new Promise<void>((done, fail) => {
            if (predicate(frames)) return done();
            const timer = setTimeout(() => {
              waiters.delete(check);
              fail(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; got ${frames.length} frames`));
            }, timeoutMs);
            const check = () => {
              if (predicate(frames)) {
                clearTimeout(timer);
                waiters.delete(check);
                done();
              }
            };
            waiters.add(check);
            void ended.then(() => {
              if (waiters.has(check)) {
                clearTimeout(timer);
                waiters.delete(check);
                if (predicate(frames)) done();
                else fail(new Error(`Stream ended while waiting for ${what}; got ${frames.length} frames`));
              }
            });
          }),
        ended,
        close: () => {
          req.destroy();
          res.destroy();
        },
        body: () => body,
      });
    });
    req.on('error', reject);
  });
}

export function parseFrame(raw: string): SseFrame | null {
  const text = raw.replace(/^\n+/, '');
  if (!text.trim()) return null;
  const frame: SseFrame = { raw: text };
  const data: string[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') frame.id = value;
    else if (field === 'retry') frame.retry = Number(value);
    else if (field === 'event') frame.event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length > 0) {
    frame.data = data.join('\n');
    try {
      frame.json = JSON.parse(frame.data);
    } catch {
      frame.json = undefined;
    }
  }
  return frame.id === undefined && frame.data === undefined && frame.retry === undefined ? null : frame;
}
