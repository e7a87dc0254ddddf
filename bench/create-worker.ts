import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { postJobs, requestJson } from './http-json';

/**
 * Jobs created over HTTP one after the other, from a thread of its own: the whole-jobs measurement's
 * client must not take the server's event loop (real clients are other processes). Posts
 * `{ type: 'done' }` when every job is created, `{ type: 'error', message }` when one was refused.
 */
export interface CreateWorkerInput {
  baseUrl: string;
  token: string;
  count: number;
  slug: string;
}

export type CreateWorkerMessage = { type: 'done' } | { type: 'error'; message: string };

async function run(input: CreateWorkerInput): Promise<CreateWorkerMessage> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await postJobs((method, path, body) => requestJson(agent, input, method, path, body), input.count, input.slug);
    return { type: 'done' };
  } catch (error) {
    return { type: 'error', message: error instanceof Error ? error.message : String(error) };
  } finally {
    agent.destroy();
  }
}

void run(workerData as CreateWorkerInput).then((message) => parentPort?.postMessage(message));
