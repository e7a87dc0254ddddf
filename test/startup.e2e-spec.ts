import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { removeDir } from './helpers/app';
import { runUntilExit, serverDataDir } from './helpers/server-process';

const TOKEN = 'startup-test-token-0123456789';

/** Runs the built service on a config and expects it to exit 1 with exactly one line: `expected`. */
async function expectRefusal(configPath: string, cwd: string, expected: RegExp): Promise<void> {
  const result = await runUntilExit(configPath, TOKEN, cwd, 0);
  expect(result.code).toBe(1);
  const lines = result.output.trim().split('\n');
  expect(lines).toEqual([expect.stringMatching(expected)]);
}

describe('start-up failures: one line each, exit 1, no stack trace', () => {
  let dir: string;
  beforeEach(() => ({ dir } = serverDataDir('jobevents-startup-', 1)));
  afterEach(() => removeDir(dir));

  it('a config that cannot be read', async () => {
    const configPath = join(dir, 'conf.d');
    mkdirSync(configPath);
    await expectRefusal(configPath, dir, /^\[config\] ERROR: Config .*conf\.d cannot be read \(EISDIR\)$/);
  });

  it('a config with a key the service does not know, naming the closest one', async () => {
    const configPath = join(dir, 'typo.yaml');
    writeFileSync(configPath, stringify({ server: { prot: 8018 } }));
    await expectRefusal(
      configPath,
      dir,
      /^\[config\] ERROR: Invalid config .*: unknown key server\.prot; did you mean server\.port\?/,
    );
  });

  it('a runs dir that cannot be written', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory');
    const configPath = join(dir, 'runs-under-a-file.yaml');
    writeFileSync(
      configPath,
      stringify({ storage: { db_path: join(dir, 'jobs.db'), runs_dir: join(blocker, 'runs') } }),
    );
    await expectRefusal(configPath, dir, /^\[storage\] ERROR: runs dir .*a-file\/runs is not writable \(ENOTDIR\)/);
  });
});
