import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { withFileLock } from './file-lock';

describe('withFileLock', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lock-'));
    path = join(dir, 'events.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Whether the lock is taken within `ms`. */
  async function acquiredWithin(ms: number): Promise<boolean> {
    let acquired = false;
    const attempt = withFileLock(path, async () => {
      acquired = true;
    });
    await Promise.race([attempt, new Promise((resolve) => setTimeout(resolve, ms))]);
    const inTime = acquired;
    if (!inTime) rmSync(`${path}.lock`, { force: true }); // Let the attempt finish.
    await attempt;
    return inTime;
  }

  it('lets one holder in at a time and removes its file when done', async () => {
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(path, async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('waits for a live holder on this host and breaks the lock at once when that process is killed', async () => {
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    try {
      writeFileSync(`${path}.lock`, `${hostname()} ${holder.pid} cafe\n`);
      expect(await acquiredWithin(200)).toBe(false);
      writeFileSync(`${path}.lock`, `${hostname()} ${holder.pid} cafe\n`);
      holder.kill('SIGKILL');
      await exited;
      expect(await acquiredWithin(1000)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('breaks the lock of another host only once it is stale', async () => {
    writeFileSync(`${path}.lock`, 'elsewhere 1 cafe\n');
    expect(await acquiredWithin(200)).toBe(false);
    writeFileSync(`${path}.lock`, 'elsewhere 1 cafe\n');
    const old = new Date(Date.now() - 11_000);
    utimesSync(`${path}.lock`, old, old);
    expect(await acquiredWithin(1000)).toBe(true);
  });
});
