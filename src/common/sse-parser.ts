/** One Server-Sent Events frame as a client sees it. */
export interface SseFrame {
  id?: string;
  retry?: number;
  event?: string;
  data?: string;
  /** The frame's lines as received (comments included), joined with `\n`: which fields it had. */
  raw: string;
}

/**
 * Splits an SSE byte stream into frames as chunks arrive, per the EventSource rules: lines end in
 * CRLF, LF or CR (a CR at the end of one chunk and an LF at the start of the next are one line end);
 * `data:` lines join with `\n`; one space after the colon is dropped; `:` lines are comments; a
 * blank line ends a frame, and a frame with no field is not reported. The one parser of `jobctl`,
 * the tests and the bench.
 */
export class SseParser {
  private buffer = '';
  private lines: string[] = [];
  private isAfterCr = false;

  constructor(private readonly onFrame: (frame: SseFrame) => void) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.isAfterCr && text.startsWith('\n')) text = text.slice(1);
    this.isAfterCr = text.endsWith('\r');
    this.buffer += text;
    const parts = this.buffer.split(/\r\n|\r|\n/);
    this.buffer = parts.pop() as string;
    for (const line of parts) {
      if (line === '') this.dispatch();
      else this.lines.push(line);
    }
  }

  private dispatch(): void {
    const lines = this.lines;
    this.lines = [];
    const frame: SseFrame = { raw: lines.join('\n') };
    const data: string[] = [];
    let hasField = false;
    for (const line of lines) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'id') frame.id = value;
      else if (field === 'retry') frame.retry = Number(value);
      else if (field === 'event') frame.event = value;
      else if (field === 'data') data.push(value);
      else continue;
      hasField = true;
    }
    if (data.length > 0) frame.data = data.join('\n');
    if (hasField) this.onFrame(frame);
  }
}
