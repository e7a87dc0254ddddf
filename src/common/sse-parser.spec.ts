import { SseFrame, SseParser } from './sse-parser';

interface Case {
  name: string;
  input: string;
  frames: SseFrame[];
  /** The parser's stream state after the whole input. */
  lastEventId?: string;
  retry?: number;
}

const CASES: Case[] = [
  { name: 'one frame ended by LF', input: 'data: hello\n\n', frames: [{ data: 'hello', raw: 'data: hello' }] },
  {
    name: 'lines ended by CRLF',
    input: 'id: 1\r\ndata: a\r\n\r\n',
    frames: [{ id: '1', data: 'a', raw: 'id: 1\ndata: a' }],
    lastEventId: '1',
  },
  { name: 'lines ended by CR', input: 'data: a\rdata: b\r\r', frames: [{ data: 'a\nb', raw: 'data: a\ndata: b' }] },
  {
    name: 'CRLF, CR and LF mixed in one stream',
    input: 'data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\n\n',
    frames: [
      { data: 'a\nb\nc', raw: 'data: a\ndata: b\ndata: c' },
      { data: 'd', raw: 'data: d' },
    ],
  },
  {
    name: 'data lines joined with LF',
    input: 'data: {"a":\ndata: 1}\n\n',
    frames: [{ data: '{"a":\n1}', raw: 'data: {"a":\ndata: 1}' }],
  },
  {
    name: 'only one space after the colon stripped, none needed',
    input: 'data:  two\ndata:none\ndata: a: b\n\n',
    frames: [{ data: ' two\nnone\na: b', raw: 'data:  two\ndata:none\ndata: a: b' }],
  },
  {
    name: 'comment lines ignored, alone or inside a frame',
    input: ': ping\n\n:\ndata: x\n: inside\n\n',
    frames: [{ data: 'x', raw: ':\ndata: x\n: inside' }],
  },
  {
    name: 'a field name without a colon has an empty value',
    input: 'data\ndata\n\ndata:\n\n',
    frames: [
      { data: '\n', raw: 'data\ndata' },
      { data: '', raw: 'data:' },
    ],
  },
  {
    name: 'frames without data not dispatched, their id and retry still kept',
    input: 'id: 5\n\nretry: 10\n\nevent: lost\n\ndata: y\n\n',
    frames: [{ data: 'y', raw: 'data: y' }],
    lastEventId: '5',
    retry: 10,
  },
  {
    name: 'the event field, reset after each frame',
    input: 'event: update\ndata: a\n\ndata: b\n\n',
    frames: [
      { event: 'update', data: 'a', raw: 'event: update\ndata: a' },
      { data: 'b', raw: 'data: b' },
    ],
  },
  {
    name: 'retry only when all ASCII digits',
    input: 'retry: 1.5\ndata: a\n\nretry: 2000\ndata: b\n\nretry: x\ndata: c\n\n',
    frames: [
      { data: 'a', raw: 'retry: 1.5\ndata: a' },
      { retry: 2000, data: 'b', raw: 'retry: 2000\ndata: b' },
      { data: 'c', raw: 'retry: x\ndata: c' },
    ],
    retry: 2000,
  },
  {
    name: 'the last event id persists; an empty id resets it; an id with NUL is ignored',
    input: 'id: 7\ndata: a\n\ndata: b\n\nid: 8\u0000\ndata: c\n\nid\ndata: d\n\n',
    frames: [
      { id: '7', data: 'a', raw: 'id: 7\ndata: a' },
      { data: 'b', raw: 'data: b' },
      { data: 'c', raw: 'id: 8\u0000\ndata: c' },
      { id: '', data: 'd', raw: 'id\ndata: d' },
    ],
    lastEventId: '',
  },
  {
    name: 'unknown fields ignored',
    input: 'foo: bar\ndata: a\nDATA: no\n\n',
    frames: [{ data: 'a', raw: 'foo: bar\ndata: a\nDATA: no' }],
  },
  { name: 'a leading BOM skipped', input: '\uFEFFdata: a\n\n', frames: [{ data: 'a', raw: 'data: a' }] },
  {
    name: 'an incomplete frame at the end not dispatched',
    input: 'data: a\n\ndata: b\n',
    frames: [{ data: 'a', raw: 'data: a' }],
  },
  {
    name: "the service's connected frame, a comment, then a stored event",
    input: 'retry: 3000\ndata: {"type":"connected"}\n\n: ping\n\nid: 42\ndata: {"id":42}\n\n',
    frames: [
      { retry: 3000, data: '{"type":"connected"}', raw: 'retry: 3000\ndata: {"type":"connected"}' },
      { id: '42', data: '{"id":42}', raw: 'id: 42\ndata: {"id":42}' },
    ],
    lastEventId: '42',
    retry: 3000,
  },
];

function parse(chunks: string[]) {
  const frames: SseFrame[] = [];
  const parser = new SseParser((frame) => frames.push(frame));
  for (const chunk of chunks) parser.push(chunk);
  return { frames, lastEventId: parser.lastEventId, retry: parser.retry };
}

describe('SseParser', () => {
  describe.each(CASES)('$name', ({ input, frames, lastEventId = '', retry }) => {
    const expected = { frames, lastEventId, retry };

    it('in one chunk', () => {
      expect(parse([input])).toEqual(expected);
    });

    it('split in two at every position', () => {
      for (let at = 0; at <= input.length; at++) {
        expect([at, parse([input.slice(0, at), input.slice(at)])]).toEqual([at, expected]);
      }
    });

    it('one character at a time', () => {
      expect(parse([...input])).toEqual(expected);
    });
  });

  it('dispatches at a blank line ended by a CR at once, and a split CRLF stays one line end', () => {
    const frames: SseFrame[] = [];
    const parser = new SseParser((frame) => frames.push(frame));
    parser.push('data: a\r\r');
    expect(frames).toEqual([{ data: 'a', raw: 'data: a' }]);
    // An LF opening the next chunk completes the CRLF a CR ended the last one with: no blank line.
    parser.push('data: b\r');
    parser.push('\ndata: c\n\n');
    expect(frames).toEqual([
      { data: 'a', raw: 'data: a' },
      { data: 'b\nc', raw: 'data: b\ndata: c' },
    ]);
  });
});
