import http from 'node:http';
import { AddressInfo, Socket, connect } from 'node:net';
import { makeEvent } from '../../domain/events';
import { connectedFrame, eventFrame, formatFrame, heartbeatFrame } from './sse-frames';
import { SseWriter } from './sse-writer';

type Handler = (response: http.ServerResponse) => void;

/** A client on a raw socket: the exact bytes the server sent, and whether it has closed. */
interface RawClient {
  socket: Socket;
  text: () => string;
  closed: Promise<void>;
  /** Resolves once the response is complete (its last chunk or, for HEAD, its head). */
  complete: () => Promise<void>;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** A response's body out of HTTP/1.1 chunked framing. */
function dechunk(body: string): string {
  let out = '';
  for (let at = 0; ;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.slice(at, eol), 16);
    if (eol < 0 || !size) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    at = eol + 2 + size + 2;
  }
}

describe('SseWriter', () => {
  let server: http.Server;
  let handler: Handler;
  const clients: Socket[] = [];

  beforeAll(async () => {
    server = http.createServer((_request, response) => handler(response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => clients.splice(0).forEach((socket) => socket.destroy()));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends a request on a raw socket; `paused` leaves its bytes unread until `socket.resume()`. */
  const request = (options: { method?: string; paused?: boolean } = {}): RawClient => {
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    clients.push(socket);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.write(`${options.method ?? 'GET'} /stream HTTP/1.1\r\nHost: test\r\n\r\n`);
    if (options.paused) socket.pause();
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const text = () => Buffer.concat(chunks).toString('utf8');
    const done = options.method === 'HEAD' ? '\r\n\r\n' : '\r\n0\r\n\r\n';
    const complete = async () => {
      while (!text().endsWith(done)) await new Promise((resolve) => socket.once('data', resolve));
    };
    return { socket, text, closed, complete };
  };
  const serve = (handle: Handler): Promise<SseWriter> =>
    new Promise((resolve) => {
      handler = (response) => {
        handle(response);
        resolve(new SseWriter(response, { maxBacklog: 1000 }));
      };
    });

  it("writes Nest's status, headers and opening line, then frames with `id:` only for stored events", async () => {
    const opened = serve((response) => response.setHeader('X-Frame-Options', 'DENY'));
    const client = request();
    const writer = await opened;
    writer.open();
    const event = makeEvent(7, 'job', '2026-01-01T00:00:00.000Z', 'job_created', null, 'queued', 'Job created', {});
    const frames = [connectedFrame('Connected', { job_id: null }, 1500), eventFrame(event), heartbeatFrame()];
    frames.forEach((frame) => writer.send(frame));
    writer.end();
    await client.complete();
    const [head, body] = splitHead(client.text());
    const lines = head.split('\r\n');
    expect(lines[0]).toBe('HTTP/1.1 200 OK');
    expect(lines.slice(1, 8)).toEqual([
      'x-frame-options: DENY',
      'Content-Type: text/event-stream',
      'Connection: keep-alive',
      'Cache-Control: private, no-cache, no-store, must-revalidate, max-age=0, no-transform',
      'Pragma: no-cache',
      'Expire: 0',
      'X-Accel-Buffering: no',
    ]);
    expect(lines).toContain('Transfer-Encoding: chunked');
    const text = dechunk(body);
    expect(text).toBe('\n' + frames.map(formatFrame).join(''));
    expect(text).toContain(`\n\nid: 7\ndata: ${JSON.stringify(event)}\n\n`);
    expect(text.match(/^id: /gm)).toHaveLength(1);
    expect(text.startsWith('\nretry: 1500\ndata: {')).toBe(true);
  });

  it('cuts off a client that does not read once more than maxBacklog frames wait', async () => {
    let overflowAt = 0;
    let writer!: SseWriter;
    handler = (response) => {
      writer = new SseWriter(response, { maxBacklog: 5, onOverflow: (pending) => (overflowAt = pending) });
    };
    const client = request({ paused: true });
    while (!writer) await tick();
    let closedBy = '';
    writer.onClose(() => (closedBy = 'close callback'));
    writer.open();
    const big = 'x'.repeat(64 * 1024);
    let maxPending = 0;
    for (let i = 0; i < 5000 && !writer.closed; i++) {
      writer.send({ id: i + 1, data: big });
      maxPending = Math.max(maxPending, writer.pending);
      if (i % 10 === 0) await tick();
    }
    expect(writer.closed).toBe(true);
    expect(overflowAt).toBe(6);
    expect(maxPending).toBe(5);
    expect(writer.pending).toBe(0);
    expect(closedBy).toBe('close callback');
    client.socket.resume();
    await client.closed;
    writer.send(heartbeatFrame());
  });

  it('waits for drain, not a timer, until few enough frames wait, and flushes them before end()', async () => {
    const opened = serve(() => undefined);
    const client = request({ paused: true });
    const writer = await opened;
    writer.open();
    const big = 'y'.repeat(64 * 1024);
    // Until the kernel's buffers are full too: then frames stay waiting, with nothing left to drain.
    for (let round = 0; round < 200 && writer.pending < 3; round++) {
      while (writer.pending < 3) writer.send({ data: big });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(writer.pending).toBe(3);
    let drained = false;
    const waited = writer.waitUntilAtMost(0).then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(drained).toBe(false);
    writer.send({ data: 'last' });
    expect(writer.pending).toBe(4);
    writer.end();
    writer.send({ data: 'dropped after end()' });
    client.socket.resume();
    await waited;
    expect(writer.pending).toBe(0);
    await client.complete();
    const body = dechunk(splitHead(client.text())[1]);
    expect(body.endsWith('data: last\n\n')).toBe(true);
    expect(body).not.toContain('dropped');
  });

  it('tells onClose when the client disconnects, and ignores frames after that', async () => {
    const opened = serve(() => undefined);
    const client = request();
    const writer = await opened;
    writer.open();
    const closed = new Promise<void>((resolve) => writer.onClose(resolve));
    client.socket.destroy();
    await closed;
    expect(writer.closed).toBe(true);
    writer.send(heartbeatFrame());
    writer.end();
    let late = false;
    writer.onClose(() => (late = true));
    expect(late).toBe(true);
  });

  it('ends a HEAD request once the headers are out', async () => {
    const opened = serve(() => undefined);
    const client = request({ method: 'HEAD' });
    const writer = await opened;
    const ended = new Promise<void>((resolve) => writer.onClose(resolve));
    writer.open();
    await ended;
    await client.complete();
    const [head, body] = splitHead(client.text());
    expect(head).toContain('Content-Type: text/event-stream');
    expect(body).toBe('');
  });
});

function splitHead(raw: string): [string, string] {
  const at = raw.indexOf('\r\n\r\n');
  return [raw.slice(0, at), raw.slice(at + 4)];
}
