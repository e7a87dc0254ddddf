import http from 'node:http';
import { SseFrame as ParsedFrame, SseParser } from '../../src/common/sse-parser';

export interface SseFrame extends ParsedFrame {
  /** `data` parsed as JSON, when it is JSON. */
  json?: any;
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
      let body = '';
      const parser = new SseParser((frame) => frames.push({ ...frame, json: jsonOf(frame.data) }));
      const waiters = new Set<() => void>();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        parser.push(chunk);
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

function jsonOf(data: string | undefined): any {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}
