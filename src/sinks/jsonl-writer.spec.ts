import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTail } from './jsonl-writer';

describe('readTail', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tail-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const file = (text: string) => {
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['an empty file', '', { lastId: 0, endsWithNewline: true }],
    ['complete lines', '{"id":1}\n{"id":2}\n', { lastId: 2, endsWithNewline: true }],
    ['a torn last line', '{"id":1}\n{"id":2}\n{"id":3,"ty', { lastId: 2, endsWithNewline: false }],
    ['only a torn line', '{"id":3,"ty', { lastId: 0, endsWithNewline: false }],
  ])('reads %s', (_name, text, expected) => {
    expect(readTail(file(text))).toEqual(expected);
  });

  it('finds the last id of a file much larger than the tail it reads first', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ id: i + 1, padding: 'x'.repeat(100) }));
    expect(readTail(file(lines.join('\n') + '\n'))).toEqual({ lastId: 3000, endsWithNewline: true });
    const huge = JSON.stringify({ id: 7, padding: 'y'.repeat(200_000) });
    expect(readTail(file(`${huge}\n{"broken`))).toEqual({ lastId: 7, endsWithNewline: false });
  });
});
