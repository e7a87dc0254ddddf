import { SseFrame, SseParser } from './sse-parser';

function parse(chunks: string[]): SseFrame[] {
  const frames: SseFrame[] = [];
  const parser = new SseParser((frame) => frames.push(frame));
  for (const chunk of chunks) parser.push(chunk);
  return frames;
}

const STREAM = 'retry: 3000\ndata: {"type":"connected"}\n\nid: 5\ndata: a\ndata: b\n\n: comment\n\ndata:c\n\n';
const EXPECTED = [{ retry: 3000, data: '{"type":"connected"}' }, { id: '5', data: 'a\nb' }, { data: 'c' }];

describe('SseParser', () => {
  it.each([
    ['LF', STREAM],
    ['CRLF', STREAM.replace(/\n/g, '\r\n')],
    ['CR', STREAM.replace(/\n/g, '\r')],
  ])('reads frames whose lines end in %s, and skips comment-only frames', (_name, text) => {
    expect(parse([text]).map(({ raw: _raw, ...fields }) => fields)).toEqual(EXPECTED);
  });

  it.each(['LF', 'CRLF', 'CR'])('gives the same frames whatever byte the chunks split at (%s)', (ending) => {
    const text = STREAM.replace(/\n/g, ending === 'LF' ? '\n' : ending === 'CRLF' ? '\r\n' : '\r');
    const whole = parse([text]);
    for (let at = 0; at <= text.length; at++) {
      expect(parse([text.slice(0, at), text.slice(at)])).toEqual(whole);
    }
  });

  it('keeps the raw lines, so a test can tell which fields a frame had', () => {
    expect(parse(['id: 7\ndata: x\n\n'])[0].raw).toBe('id: 7\ndata: x');
  });

  it('waits for the blank line before reporting a frame', () => {
    expect(parse(['id: 1\ndata: x\n'])).toEqual([]);
  });
});
