import { LineLimiter, LineSplitter, truncate } from './line-splitter';

describe('LineSplitter', () => {
  it.each([
    [['a\nb\n'], ['a', 'b']],
    [
      ['a', 'b\nc'],
      ['ab', 'c'],
    ],
    [['one\r\ntwo\r\n'], ['one', 'two']],
    [['no newline at the end'], ['no newline at the end']],
    [['\n\n'], ['', '']],
  ])('splits %j into %j', (chunks, expected) => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line));
    for (const chunk of chunks) splitter.push(chunk);
    splitter.end();
    expect(lines).toEqual(expected);
  });
});

describe('LineLimiter', () => {
  it('passes lines up to the per-second cap, then reports the rest as one suppressed line', () => {
    let now = 0;
    const out: string[] = [];
    const limiter = new LineLimiter(
      3,
      100,
      (stream, line) => out.push(`${stream}:${line}`),
      () => now,
    );
    for (let i = 0; i < 10; i++) limiter.line('stdout', `l${i}`);
    now = 1000;
    limiter.line('stdout', 'next second');
    limiter.flush();
    expect(out).toEqual(['stdout:l0', 'stdout:l1', 'stdout:l2', 'stderr:[… 7 lines suppressed]', 'stdout:next second']);
  });

  it('cuts long lines and says by how much', () => {
    expect(truncate('x'.repeat(10), 4)).toBe('xxxx… [truncated 6 chars]');
    expect(truncate('short', 10)).toBe('short');
  });
});
