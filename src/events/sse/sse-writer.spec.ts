import { createServer, get, IncomingMessage, Server } from 'node:http';
import { AddressInfo, Socket, connect } from 'node:net';
import { SseWriter } from './sse-writer';

/** A server whose one route hands its request and response to `handle`, on 127.0.0.1. */
async function serve(handle: (request: IncomingMessage, writer: SseWriter) => void, maxBacklog = 1000) {
  const overflows: number[] = [];
  const server: Server = createServer((request, response) => {
    const writer = new SseWriter(request, response, maxBacklog, (pending) => overflows.push(pending));
    writer.open();
    handle(request, writer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { port, overflows, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A stream whose client sent its request and then stopped reading: the server's writes pile up. */
async function openPausedStream(maxBacklog: number) {
  let writer: SseWriter | undefined;
  const server = await serve((_request, opened) => (writer = opened), maxBacklog);
  const socket: Socket = connect(server.port, '127.0.0.1');
  socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  socket.pause();
  await new Promise<void>((resolve) => {
    const check = () => (writer ? resolve() : setTimeout(check, 5));
    check();
  });
  const close = async () => {
    socket.destroy();
    await server.close();
  };
  return { writer: writer as SseWriter, socket, overflows: server.overflows, close };
}

const BIG_FRAME = `data: ${'x'.repeat(64 * 1024)}\n\n`;

describe('SseWriter on a real socket', () => {
  it('sends the stream headers, a first empty line, then each frame as written', async () => {
    const server = await serve((_request, writer) => {
      writer.write('id: 1\ndata: a\n\n');
      writer.write('data: b\n\n');
      writer.end();
    });
    try {
      const { headers, body } = await new Promise<{ headers: IncomingMessage['headers']; body: string }>(
        (resolve, reject) => {
          get(`http://127.0.0.1:${server.port}/`, (response) => {
            let body = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => resolve({ headers: response.headers, body }));
          }).on('error', reject);
        },
      );
      expect(headers['content-type']).toBe('text/event-stream');
      expect(headers['cache-control']).toContain('no-cache');
      expect(headers['x-accel-buffering']).toBe('no');
      expect(body).toBe('\nid: 1\ndata: a\n\ndata: b\n\n');
    } finally {
      await server.close();
    }
  });

  it('holds frames while the client does not read, and drops the connection past the backlog', async () => {
    const { writer, overflows, close } = await openPausedStream(50);
    try {
      for (let i = 0; i < 2000 && !writer.closed; i++) {
        writer.write(BIG_FRAME);
        if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(writer.closed).toBe(true);
      expect(overflows).toEqual([51]);
      expect(writer.pending).toBe(0);
    } finally {
      await close();
    }
  });

  it('resolves waitUntilAtMost once the client has read the backlog down', async () => {
    const { writer, socket, close } = await openPausedStream(10_000);
    try {
      for (let i = 0; i < 200 && writer.pending < 20; i++) {
        writer.write(BIG_FRAME);
        if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect(writer.pending).toBeGreaterThanOrEqual(20);
      const drained = writer.waitUntilAtMost(0);
      socket.resume();
      await drained;
      expect(writer.pending).toBe(0);
      expect(writer.closed).toBe(false);
    } finally {
      await close();
    }
  });
});
