/** One dispatched SSE frame: its data, the fields it carried itself, and its lines as received. */
export interface SseFrame {
  /** The `data:` lines joined with `\n` (a frame without any is never dispatched). */
  data: string;
  /** This frame's own `id:` (undefined when it had none; the parser's lastEventId persists across frames). */
  id?: string;
  /** This frame's `event:` (undefined when it had none: an EventSource then reports "message"). */
  event?: string;
  /** This frame's `retry:` in ms, when it carried a valid one (ASCII digits only). */
  retry?: number;
  /** The frame's lines, comments included, joined with `\n`: to check which fields it carried. */
  raw: string;
}

const LF = 0x0a;
const COLON = 0x3a;
const SPACE = 0x20;
const BOM = 0xfeff;

/**
 * An incremental SSE parser per the WHATWG EventSource rules (html.spec.whatwg.org, "Interpreting an
 * event stream"): feed it decoded text in chunks of any size, it calls onFrame once per dispatched frame.
 * Lines end in CRLF, LF or CR, also when a CRLF is split across two chunks; a leading BOM is skipped;
 * the incomplete frame left at the end of a stream is never dispatched.
 */
export class SseParser {
  private lastId = '';
  private reconnectMs: number | undefined;
  private partial = '';
  private skipLf = false;
  private started = false;
  private data: string[] = [];
  private lines: string[] = [];
  private id: string | undefined;
  private event: string | undefined;
  private frameRetry: number | undefined;

  constructor(private readonly onFrame: (frame: SseFrame) => void) {}

  /** The last `id:` seen (an id containing NUL is ignored): what a reconnect sends as Last-Event-ID. */
  get lastEventId(): string {
    return this.lastId;
  }

  /** The last valid `retry:` seen, in ms: the reconnection time a client should use. */
  get retry(): number | undefined {
    return this.reconnectMs;
  }

  push(chunk: string): void {
    let start = 0;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === BOM) start = 1;
    }
    // A CR ended the previous chunk: an LF opening this one belongs to the same line end.
    if (this.skipLf && chunk.length > 0) {
      this.skipLf = false;
      if (chunk.charCodeAt(start) === LF) start++;
    }
    let cr = chunk.indexOf('\r', start);
    let lf = chunk.indexOf('\n', start);
    while (cr >= 0 || lf >= 0) {
      const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      const line = this.partial === '' ? chunk.slice(start, end) : this.partial + chunk.slice(start, end);
      this.partial = '';
      start = end + 1;
      if (end === cr) {
        if (start === chunk.length) this.skipLf = true;
        else if (chunk.charCodeAt(start) === LF) start++;
        cr = chunk.indexOf('\r', start);
        if (lf >= 0 && lf < start) lf = chunk.indexOf('\n', start);
      } else {
        lf = chunk.indexOf('\n', start);
      }
      this.line(line);
    }
    this.partial += chunk.slice(start);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    this.lines.push(line);
    if (line.charCodeAt(0) === COLON) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === SPACE) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        break;
      case 'event':
        this.event = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.id = this.lastId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.frameRetry = this.reconnectMs = Number(value);
        break;
    }
  }

  private dispatch(): void {
    const frame: SseFrame | null =
      this.data.length === 0 ? null : { data: this.data.join('\n'), raw: this.lines.join('\n') };
    if (frame && this.id !== undefined) frame.id = this.id;
    if (frame && this.event !== undefined) frame.event = this.event;
    if (frame && this.frameRetry !== undefined) frame.retry = this.frameRetry;
    this.data = [];
    this.lines = [];
    this.id = undefined;
    this.event = undefined;
    this.frameRetry = undefined;
    if (frame) this.onFrame(frame);
  }
}
