import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OperatorConfig } from '../config/operator-config';
import { RunPaths } from '../config/run-paths';
import { JobStatus } from '../domain/stages';
import { SqliteStore } from '../store/sqlite/sqlite-store';
import { StateFiles } from './state-files';

const JOB = '00000000-0000-4000-8000-000000000001';

describe('StateFiles on a real store and runs dir', () => {
  let dir: string;
  let store: SqliteStore;
  let paths: RunPaths;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'state-files-'));
    store = new SqliteStore(join(dir, 'jobs.db'));
    paths = new RunPaths(join(dir, 'runs'), 'artifacts');
    mkdirSync(paths.jobDir(JOB), { recursive: true });
    const now = new Date().toISOString();
    await store.unitOfWork((tx) =>
      tx.insertJob({ id: JOB, slug: 'slug', intent: 'i', cfg: {}, operator: 'admin', created_at: now }, []),
    );
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const statesWith = (intervalMs: number) =>
    new StateFiles(store, paths, { storage: { state_file_interval_ms: intervalMs } } as OperatorConfig);
  const setStatus = (status: JobStatus) =>
    store.unitOfWork((tx) => tx.updateJob(JOB, { status, updated_at: new Date().toISOString() }));
  const fileStatus = () => (JSON.parse(readFileSync(paths.stateFile(JOB), 'utf8')) as { status: string }).status;

  it('writes a burst of changes once, an interval after its first, then the next an interval later', async () => {
    const states = statesWith(500);
    const started = performance.now();
    const refreshes: Promise<void>[] = [];
    for (const status of ['running', 'needs_approval', 'running', 'completed'] as const) {
      await setStatus(status);
      refreshes.push(states.refresh(JOB));
    }
    expect(new Set(refreshes).size).toBe(1);
    expect(existsSync(paths.stateFile(JOB))).toBe(false);
    await Promise.all(refreshes);
    expect(performance.now() - started).toBeGreaterThan(490);
    expect(fileStatus()).toBe('completed');

    // The second write starts an interval after the first started.
    await setStatus('failed');
    await states.refresh(JOB);
    expect(performance.now() - started).toBeGreaterThan(990);
    expect(fileStatus()).toBe('failed');
  });

  it('writes at once for an action that waits for the file, and for shutdown', async () => {
    const states = statesWith(60_000);
    void states.refresh(JOB);
    await states.written(JOB);
    expect(fileStatus()).toBe('queued');
    await setStatus('canceled');
    void states.refresh(JOB);
    await states.written(JOB);
    expect(fileStatus()).toBe('canceled');
    await setStatus('failed');
    void states.refresh(JOB);
    await states.settled();
    expect(fileStatus()).toBe('failed');
  });

  it('writes every refresh at once with an interval of 0', async () => {
    const states = statesWith(0);
    await states.refresh(JOB);
    await setStatus('running');
    await states.refresh(JOB);
    expect(fileStatus()).toBe('running');
  });
});
