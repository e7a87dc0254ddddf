import { ApiClient, ApiError } from './api';
import { FormatOptions, ServedEvent, formatEvent } from './format';
import { SseParser } from '../common/sse-parser';

export interface WatchOptions extends FormatOptions {
  json: boolean;
  types?: string[];
  since: number;
  timeoutMs: number | null;
  /** Where lines go (stdout); hints and the summary go to `info` (stderr with --json). */
  out: (line: string) => void;
  info: (line: string) => void;
}

export const EXIT = { completed: 0, failed: 1, timeout: 2, error: 3 } as const;
const TERMINAL: Record<string, number> = {
  job_completed: EXIT.completed,
  job_failed: EXIT.failed,
  job_canceled: EXIT.failed,
};
const RECONNECT_MS = 1000;
const POLL_MS = 2000;

/**
 * Follows a job (docs/OPERATIONS.md, "Watching"): replays its history from `since`, then live events over SSE, reconnecting
 * with Last-Event-ID after a drop (nothing lost or repeated: events are printed by increasing id only),
 * falling back to polling `?since=` when the stream is refused. Resolves with the exit code.
 */
export async function watchJob(api: ApiClient, jobId: string, options: WatchOptions): Promise<number> {
  let lastId = options.since;
  const started = Date.now();
  const stages = new Set<string>();
  let decisions = 0;
  let usePolling = false;
  let done: number | null = null;

  const handle = (event: ServedEvent): void => {
    if (event.id <= lastId || done !== null) return;
    lastId = event.id;
    if (options.types && !options.types.includes(event.type)) return checkEnd(event);
    options.out(options.json ? JSON.stringify(event) : formatEvent(event, options));
    if (event.stage && event.type === 'stage_completed') stages.add(event.stage);
    if (['gate_approved', 'gate_rejected', 'gate_auto_approved'].includes(event.type)) decisions++;
    if (event.type === 'gate_pause' && event.stage) {
      options.info(`  waiting for a decision: jobctl approve ${jobId} --stage ${event.stage}`);
      options.info(`                       or jobctl reject ${jobId} --stage ${event.stage} --notes "…"`);
    }
    checkEnd(event);
  };
  const checkEnd = (event: ServedEvent): void => {
    if (event.type in TERMINAL) {
      done = TERMINAL[event.type];
      const seconds = Math.round((Date.now() - started) / 1000);
      options.info(
        `Job ${jobId} ${event.type.replace('job_', '')}: ${stages.size} stages completed, ${decisions} gate decisions, watched ${seconds}s`,
      );
    }
  };

  const deadline = options.timeoutMs === null ? null : started + options.timeoutMs;
  const timeLeft = () => (deadline === null ? Infinity : deadline - Date.now());

  while (done === null && timeLeft() > 0) {
    try {
      if (usePolling) {
        await pollOnce(api, jobId, lastId, handle);
        if (done === null) await sleep(Math.min(POLL_MS, timeLeft()));
      } else {
        usePolling = !(await streamOnce(api, jobId, lastId, handle, timeLeft, () => done !== null));
      }
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 401)) {
        options.info(`jobctl: ${error.message}`);
        return EXIT.error;
      }
      if (done === null) await sleep(Math.min(RECONNECT_MS, timeLeft()));
    }
  }
  if (done !== null) return done;
  options.info(`Job ${jobId}: timed out after ${Math.round((Date.now() - started) / 1000)}s (last event ${lastId})`);
  return EXIT.timeout;
}

/** One SSE connection until it ends; false when the stream is refused (then poll instead). */
async function streamOnce(
  api: ApiClient,
  jobId: string,
  lastId: number,
  handle: (event: ServedEvent) => void,
  timeLeft: () => number,
  isDone: () => boolean,
): Promise<boolean> {
  // --types is applied by the caller, not the server: the cursor must cover every event of the job.
  const { response, close } = await api.openStream(`/api/v1/jobs/${jobId}/events/stream?since=${lastId}`, lastId);
  if (response.statusCode === 404 || response.statusCode === 401) {
    const body = await readAll(response);
    throw new ApiError(response.statusCode, `${response.statusCode}: ${safeDetail(body)}`);
  }
  if (response.statusCode !== 200 || !String(response.headers['content-type']).startsWith('text/event-stream')) {
    response.resume();
    close();
    return false;
  }
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, Math.min(timeLeft(), 2 ** 31 - 1));
    function finish(): void {
      clearTimeout(timer);
      close();
      resolve();
    }
    const reader = new SseParser((frame) => {
      if (frame.id === undefined || frame.data === undefined) return;
      handle(JSON.parse(frame.data) as ServedEvent);
      if (isDone()) finish();
    });
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => reader.push(chunk));
    response.on('end', finish);
    response.on('error', finish);
    response.on('close', finish);
  });
  return true;
}

async function pollOnce(
  api: ApiClient,
  jobId: string,
  lastId: number,
  handle: (event: ServedEvent) => void,
): Promise<void> {
  let since = lastId;
  for (;;) {
    const page = await api.request<{ events: ServedEvent[]; has_more: boolean; next_since: number }>(
      'GET',
      `/api/v1/jobs/${jobId}/events/poll?since=${since}&limit=1000`,
    );
    page.events.forEach(handle);
    if (!page.has_more) return;
    since = page.next_since;
  }
}

function readAll(response: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (text += chunk));
    response.on('end', () => resolve(text));
  });
}

function safeDetail(body: string): string {
  try {
    return String((JSON.parse(body) as { detail?: unknown }).detail ?? body);
  } catch {
    return body;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
