/** Splits a stream of text chunks into lines (\n or \r\n), keeping a partial line until it ends. */
export class LineSplitter {
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    for (const part of parts) this.onLine(part.endsWith('\r') ? part.slice(0, -1) : part);
  }

  /** The last line, if the output did not end with a newline. */
  end(): void {
    if (this.pending.length > 0) this.onLine(this.pending.endsWith('\r') ? this.pending.slice(0, -1) : this.pending);
    this.pending = '';
  }
}

/**
 * Caps how many output lines per second become events; the rest are counted and reported as one
 * "[… N lines suppressed]" line per second, so a chatty command cannot flood the event log.
 */
export class LineLimiter {
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;

  constructor(
    private readonly maxPerSecond: number,
    private readonly maxLength: number,
    private readonly emit: (stream: 'stdout' | 'stderr', line: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  line(stream: 'stdout' | 'stderr', raw: string): void {
    const time = this.now();
    if (time - this.windowStart >= 1000) {
      this.flush();
      this.windowStart = time;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.maxPerSecond) {
      this.suppressed++;
      return;
    }
    this.inWindow++;
    this.emit(stream, truncate(raw, this.maxLength));
  }

  /** Reports the lines suppressed so far (at each new second and at the end). */
  flush(): void {
    if (this.suppressed === 0) return;
    this.emit('stderr', `[… ${this.suppressed} lines suppressed]`);
    this.suppressed = 0;
  }
}

export function truncate(line: string, maxLength: number): string {
  return line.length > maxLength ? `${line.slice(0, maxLength)}… [truncated ${line.length - maxLength} chars]` : line;
}
