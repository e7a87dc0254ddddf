import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomicAsync } from './atomic-write';
import { createFileOffLoop, makeDirOffLoop } from './file-thread';

/** The file thread on real files: results, errors as the synchronous calls throw them, order. */
describe('the file thread', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'file-thread-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces a file atomically and leaves no temp file', async () => {
    const path = join(dir, 'state.json');
    await writeFileAtomicAsync(path, 'first');
    await writeFileAtomicAsync(path, 'second');
    expect(readFileSync(path, 'utf8')).toBe('second');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('makes a missing directory only when asked to', async () => {
    await writeFileAtomicAsync(join(dir, 'a', 'b', 'file.txt'), 'x');
    expect(readFileSync(join(dir, 'a', 'b', 'file.txt'), 'utf8')).toBe('x');

    const refused = writeFileAtomicAsync(join(dir, 'gone', 'file.txt'), 'x', false);
    await expect(refused).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
    expect(readdirSync(dir)).toEqual(['a']);
  });

  it('rejects with the code, syscall and path of the failed call, and removes its temp file', async () => {
    writeFileSync(join(dir, 'file'), '');
    await expect(makeDirOffLoop(join(dir, 'file', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });

    const target = join(dir, 'target');
    await makeDirOffLoop(join(target, 'not-empty'));
    // rename() of a file over a non-empty directory fails after the temp file was written.
    const failed = writeFileAtomicAsync(target, 'x');
    await expect(failed).rejects.toMatchObject({ code: 'EISDIR', syscall: 'rename' });
    await expect(failed).rejects.toBeInstanceOf(Error);
    expect(readdirSync(dir).sort()).toEqual(['file', 'target']);
  });

  it('creates a new empty file, and refuses one that exists', async () => {
    const path = join(dir, 'events.jsonl');
    await createFileOffLoop(path);
    expect(statSync(path).size).toBe(0);
    await expect(createFileOffLoop(path)).rejects.toMatchObject({ code: 'EEXIST', path });
  });

  it('runs the operations asked for in one turn in the order they were asked for', async () => {
    const jobDir = join(dir, 'job');
    // Without makeDir the write needs the directory the call before it makes.
    await Promise.all([
      makeDirOffLoop(jobDir, false),
      writeFileAtomicAsync(join(jobDir, 'brief.json'), '{}', false),
      createFileOffLoop(join(jobDir, 'events.jsonl')),
    ]);
    expect(readdirSync(jobDir).sort()).toEqual(['brief.json', 'events.jsonl']);
  });
});
