import { ApiClient, ApiError } from './api';
import { FormatOptions, ServedEvent, formatEvent } from './format';
import { SseParser } from '../common/sse-parser';
import { STAGES } from '../domain/stages';

export interface WatchOptions extends FormatOptions {
  json: boolean;
  types?: string[];
  since: number;
  timeoutMs: number | null;
  /** Where lines go (stdout); hints and the summary go to `info` (stderr with --json). */
  out: (line: string) => void;
  info: (line: string) => void;
}

/** Exit codes: a watch's outcome; 2 is also a usage error (before anything ran); 3 any other error. */
export const EXIT = { completed: 0, failed: 1, timeout: 2, usage: 2, error: 3 } as const;
const TERMINAL: Record<string, number> = {
  job_completed: EXIT.completed,
  job_failed: EXIT.failed,
  job_canceled: EXIT.failed,
};
/** The first reconnect waits this long unless the server's `retry:` says otherwise; each failure doubles it. */
const RECONNECT_MS = 1000;
const MAX_RECONNECT_MS = 30_000;
const POLL_MS = 2000;
const DECISIONS = ['gate_approved', 'gate_rejected', 'gate_auto_approved'];

/** The notice a poll or a resumed stream starts with when retention removed what the cursor asked for. */
interface TruncationNotice {
  type: 'history_truncated';
  oldest_id: number | null;
  message: string;
}

/**
 * Follows a job (docs/OPERATIONS.md, "Watching"): replays its history from `since`, then live events over SSE, reconnecting
 * with Last-Event-ID after a drop (nothing lost or repeated: events are printed by increasing id only),
 * falling back to polling `?since=` when the stream is refused. Resolves with the exit code.
 */
export async function watchJob(api: ApiClient, jobId: string, options: WatchOptions): Promise<number> {
  let lastId = options.since;
  const started = Date.now();
  let usePolling = false;
  // An object, not a let: the handlers set it from callbacks TypeScript's narrowing cannot see.
  const outcome: { done: { code: number; type: string } | null } = { done: null };
  let retryMs = RECONNECT_MS;
  let failures = 0;

  const handle = (event: ServedEvent): void => {
    if (event.id <= lastId || outcome.done !== null) return;
    lastId = event.id;
    if (!options.types || options.types.includes(event.type)) {
      options.out(options.json ? JSON.stringify(event) : formatEvent(event, options));
      if (event.type === 'gate_pause' && event.stage) {
        options.info(`  waiting for a decision: jobctl approve ${jobId} --stage ${event.stage}`);
        options.info(`                       or jobctl reject ${jobId} --stage ${event.stage} --notes "…"`);
      }
    }
    if (event.type in TERMINAL) outcome.done = { code: TERMINAL[event.type], type: event.type };
  };
  const stream: StreamHandlers = {
    event: handle,
    // Retention removed events the cursor asked for: said in both outputs, once per connection.
    truncated: (notice) =>
      options.out(options.json ? JSON.stringify(notice) : `-- history truncated: ${notice.message}`),
    retry: (ms) => (retryMs = ms),
    connected: () => (failures = 0),
  };

  const deadline = options.timeoutMs === null ? null : started + options.timeoutMs;
  const timeLeft = () => (deadline === null ? Infinity : deadline - Date.now());

  while (outcome.done === null && timeLeft() > 0) {
    try {
      if (usePolling) {
        await pollOnce(api, jobId, lastId, stream);
        failures = 0;
        if (outcome.done === null) await sleep(Math.min(POLL_MS, timeLeft()));
      } else {
        usePolling = !(await streamOnce(api, jobId, lastId, stream, timeLeft, () => outcome.done !== null));
      }
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 401)) {
        options.info(`jobctl: ${error.message}`);
        return EXIT.error;
      }
      if (outcome.done !== null) break;
      // Backoff from the server's retry: (or 1 s), doubling per failure in a row, said on stderr.
      const waitMs = Math.min(retryMs * 2 ** failures, MAX_RECONNECT_MS, timeLeft());
      failures++;
      const reason = error instanceof Error ? error.message : String(error);
      options.info(`jobctl: ${reason}; retrying in ${(waitMs / 1000).toFixed(1)} s`);
      await sleep(waitMs);
    }
  }
  const { done } = outcome;
  if (done !== null) {
    const seconds = Math.round((Date.now() - started) / 1000);
    const counts = await summary(api, jobId, done.type);
    options.info(`Job ${jobId} ${done.type.replace('job_', '')}: ${counts}, watched ${seconds}s`);
    return done.code;
  }
  options.info(`Job ${jobId}: timed out after ${Math.round((Date.now() - started) / 1000)}s (last event ${lastId})`);
  return EXIT.timeout;
}

interface StreamHandlers {
  event: (event: ServedEvent) => void;
  truncated: (notice: TruncationNotice) => void;
  retry: (ms: number) => void;
  connected: () => void;
}

/**
 * "9 stages completed, 4 gate decisions", counted by the server over the job's whole history: the
 * watch may have started late, after --since, or printed only some --types. A completed job ran every
 * stage; when retention removed part of the history, the decisions are "at least" what is left.
 */
async function summary(api: ApiClient, jobId: string, outcome: string): Promise<string> {
  try {
    const types = ['stage_completed', ...DECISIONS].join(',');
    const page = await api.request<{ events: ServedEvent[]; history_truncated?: unknown }>(
      'GET',
      `/api/v1/jobs/${jobId}/events?since=0&limit=1000&types=${types}`,
    );
    const atLeast = page.history_truncated ? 'at least ' : '';
    const completed = new Set(page.events.filter((e) => e.type === 'stage_completed').map((e) => e.stage)).size;
    const stages =
      outcome === 'job_completed' ? `${plural(STAGES.length, 'stage')}` : `${atLeast}${plural(completed, 'stage')}`;
    const decisions = page.events.filter((e) => DECISIONS.includes(e.type)).length;
    return `${stages} completed, ${atLeast}${plural(decisions, 'gate decision')}`;
  } catch {
    return 'no summary (the service did not answer)';
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** One SSE connection until it ends; false when the stream is refused (then poll instead). */
async function streamOnce(
  api: ApiClient,
  jobId: string,
  lastId: number,
  handlers: StreamHandlers,
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
  handlers.connected();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(finish, Math.min(timeLeft(), 2 ** 31 - 1));
    function finish(): void {
      clearTimeout(timer);
      close();
      resolve();
    }
    const reader = new SseParser((frame) => {
      if (frame.retry !== undefined) handlers.retry(frame.retry);
      if (frame.id === undefined) {
        const notice = JSON.parse(frame.data) as { type?: string };
        if (notice.type === 'history_truncated') handlers.truncated(notice as TruncationNotice);
        return;
      }
      handlers.event(JSON.parse(frame.data) as ServedEvent);
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

async function pollOnce(api: ApiClient, jobId: string, lastId: number, handlers: StreamHandlers): Promise<void> {
  let since = lastId;
  for (;;) {
    const page = await api.request<{
      events: ServedEvent[];
      has_more: boolean;
      next_since: number;
      history_truncated?: TruncationNotice;
    }>('GET', `/api/v1/jobs/${jobId}/events/poll?since=${since}&limit=1000`);
    if (page.history_truncated) handlers.truncated(page.history_truncated);
    page.events.forEach(handlers.event);
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
