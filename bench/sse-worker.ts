import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { OpenStream, openStream } from './sse-client';
import { nowMs } from './stats';

/**
 * The bench's SSE subscribers, in a thread of their own so they do not share the server's event loop
 * (real clients are other processes). Protocol with the main thread:
 *   → { type: 'ready' }                     every stream has parsed its `connected` frame
 *   ← { type: 'finish', lastId, graceMs }   the main thread has emitted everything, lastId the last
 *   → { type: 'done', clients: Arrival[] }  each client saw lastId (or the grace time ran out)
 */
export interface SseWorkerInput {
  token: string;
  streams: { url: string; scope: string }[];
}

export interface Arrival {
  scope: string;
  /** Ids of the stored-event frames, in the order parsed. */
  ids: number[];
  /** When each was parsed (nowMs, the clock the main thread stamps emits with). */
  at: number[];
  /** The server ended the stream before the bench closed it. */
  endedEarly: boolean;
}

export type WorkerMessage =
  { type: 'ready' } | { type: 'done'; clients: Arrival[] } | { type: 'error'; message: string };
export type MainMessage = { type: 'finish'; lastId: number; graceMs: number };

async function run({ token, streams }: SseWorkerInput): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('sse-worker runs as a worker thread');
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const clients: Arrival[] = streams.map(({ scope }) => ({ scope, ids: [], at: [], endedEarly: false }));
  let closing = false;
  let opened: OpenStream[] = [];
  try {
    opened = await Promise.all(
      streams.map(({ url }, i) =>
        openStream(url, token, agent, {
          onEvent: (id) => {
            const client = clients[i];
            client.at.push(nowMs());
            client.ids.push(id);
          },
          onEnd: () => {
            if (!closing) clients[i].endedEarly = true;
          },
        }),
      ),
    );
  } catch (error) {
    agent.destroy();
    port.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    port.close();
    return;
  }
  port.postMessage({ type: 'ready' } satisfies WorkerMessage);

  const finish = await new Promise<MainMessage>((resolve) => port.once('message', resolve));
  const deadline = nowMs() + finish.graceMs;
  const complete = (client: Arrival) => client.endedEarly || client.ids.at(-1) === finish.lastId;
  while (!clients.every(complete) && nowMs() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));

  closing = true;
  for (const stream of opened) stream.close();
  agent.destroy();
  port.postMessage({ type: 'done', clients } satisfies WorkerMessage);
  port.close();
}

void run(workerData as SseWorkerInput);
