// One job's events, live: SSE while it works, polling `?since=<next_since>` every 2 s when it does not.
// Both paths feed one cursor (the last event id seen), so a switch in either direction never loses
// or repeats an event: the stream is opened `since` that cursor and anything at or below it is dropped.

const TERMINAL_TYPES = new Set(['job_completed', 'job_failed', 'job_canceled']);
// After a stream fails, it is tried again after 2 s, then 4, 8, and every 15 s while it keeps failing.
const FIRST_RETRY_MS = 2000;
const LAST_RETRY_MS = 15000;

export class EventFeed {
  /**
   * @param {import('./api.js').Api} api
   * @param {string} jobId
   * @param {{ onEvents: (events: object[]) => void, onMode: (mode: string) => void,
   *           onNotice: (text: string) => void, pollMs?: number }} handlers
   */
  constructor(api, jobId, { onEvents, onMode, onNotice, pollMs = 2000 }) {
    Object.assign(this, { api, jobId, onEvents, onMode, onNotice, pollMs });
    this.retryLiveMs = FIRST_RETRY_MS;
    this.lastId = 0;
    this.mode = 'connecting';
    this.source = null;
    this.isPolling = false;
    this.pollRound = 0;
    this.isStopped = false;
    this.timers = new Set();
  }

  /** The whole history first (paged), then live. */
  async start() {
    this.setMode('connecting');
    try {
      await this.catchUp();
    } catch (error) {
      this.onNotice(`Could not load the history: ${error.message}`);
    }
    this.openStream();
  }

  /** `finished`: the job ended; `closed`: the console looks elsewhere. */
  stop(mode = 'closed') {
    this.isStopped = true;
    this.setMode(mode);
    this.closeStream();
    this.isPolling = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  openStream() {
    if (this.isStopped) return;
    if (typeof EventSource !== 'function') return this.startPolling();
    const source = new EventSource(this.api.streamUrl(this.jobId, this.lastId));
    this.source = source;
    source.onopen = () => {
      this.isPolling = false;
      this.retryLiveMs = FIRST_RETRY_MS;
      this.setMode('sse');
    };
    source.onmessage = (message) => this.onFrame(message.data);
    // Refused, blocked by a proxy, or dropped: poll now, and try the stream again later.
    source.onerror = () => {
      if (this.source !== source) return;
      this.closeStream();
      this.startPolling();
      this.later(() => this.openStream(), this.retryLiveMs);
      this.retryLiveMs = Math.min(this.retryLiveMs * 2, LAST_RETRY_MS);
    };
  }

  onFrame(data) {
    let frame;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof frame.id === 'number') this.accept([frame]);
    else if (frame.type === 'history_truncated') this.onNotice(frame.message);
  }

  startPolling() {
    if (this.isPolling || this.isStopped) return;
    this.isPolling = true;
    // A stream that opens and fails again between two ticks must not leave two polling loops.
    const round = ++this.pollRound;
    const isCurrent = () => this.isPolling && round === this.pollRound;
    this.setMode('polling');
    const tick = async () => {
      if (!isCurrent()) return;
      try {
        await this.catchUp();
      } catch (error) {
        this.onNotice(`Polling failed: ${error.message}`);
      }
      if (isCurrent()) this.later(tick, this.pollMs);
    };
    this.later(tick, 0);
  }

  /** Pages `?since=` until nothing is left. */
  async catchUp() {
    for (;;) {
      const page = await this.api.events(this.jobId, this.lastId);
      if (page.history_truncated) this.onNotice(page.history_truncated.message);
      this.accept(page.events);
      if (!page.has_more || this.isStopped) return;
    }
  }

  accept(events) {
    const fresh = events.filter((event) => event.id > this.lastId);
    if (fresh.length === 0 || this.isStopped) return;
    this.lastId = fresh[fresh.length - 1].id;
    this.onEvents(fresh);
    // Nothing follows a terminal event (docs/OPERATIONS.md, "The event pipeline"): no reason to keep a stream or a poll open.
    if (fresh.some((event) => TERMINAL_TYPES.has(event.type))) this.stop('finished');
  }

  closeStream() {
    if (!this.source) return;
    this.source.onerror = null;
    this.source.close();
    this.source = null;
  }

  later(fn, ms) {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  setMode(mode) {
    if (this.mode === mode) return;
    this.mode = mode;
    this.onMode(mode);
  }
}
