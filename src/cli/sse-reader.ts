/** Splits an SSE byte stream into frames: calls onFrame({id?, data?}) per blank-line-terminated frame. */
export class SseReader {
  private buffer = '';

  constructor(private readonly onFrame: (frame: { id?: string; data?: string }) => void) {}

  push(chunk: string): void {
    this.buffer += chunk.replace(/\r\n/g, '\n');
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const raw = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const frame: { id?: string; data?: string } = {};
      const data: string[] = [];
      for (const line of raw.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') frame.id = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) frame.data = data.join('\n');
      if (frame.id !== undefined || frame.data !== undefined) this.onFrame(frame);
    }
  }
}
