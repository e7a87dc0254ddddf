import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/config.loader';
import { ConflictError, IllegalTransition } from '../domain/errors';
import { Stage } from '../domain/stages';
import { SqliteStore } from '../store/sqlite/sqlite-store';
import { Commit } from '../store/store.port';
import { AppliedPatch, GateLifecycle } from './gate-lifecycle.service';
import { JobLifecycle } from './job-lifecycle.service';

const JOB = '00000000-0000-4000-8000-000000000001';
const noPatch = (): AppliedPatch => {
  throw new Error('no patch expected');
};
const appliedPatch = (stage: Stage): AppliedPatch => ({
  patch: { op: 'replace', path: '/ok', value: true },
  artifact: {
    stage,
    kind: 'json',
    path: `artifacts/${stage}.json`,
    meta: {},
    created_at: 'now',
    size_bytes: 1,
    checksum: 'c',
  },
});

/** The lifecycle on a real SQLite file with the shipped defaults (script, storyboard, assets and audio gates required). */
describe('the lifecycle on a real store', () => {
  let dir: string;
  let store: SqliteStore;
  let jobs: JobLifecycle;
  let gates: GateLifecycle;
  let types: string[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
    store = new SqliteStore(join(dir, 'jobs.db'));
    store.onCommit((batch: readonly Commit[]) =>
      batch.forEach((commit) => types.push(...commit.events.map(({ event }) => event.type))),
    );
    types = [];
    const { config } = loadConfig({ path: join(dir, 'none.yaml'), env: {}, cwd: dir });
    jobs = new JobLifecycle(store, config);
    gates = new GateLifecycle(store);
    await jobs.create({ id: JOB, slug: 'demo', intent: 'i', cfg: {}, operator: 'admin' });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Claims the job and completes stages until it pauses or completes. */
  async function runUntilStopped(): Promise<Stage> {
    const claimed = await jobs.claimNext('me', []);
    let stage = claimed!.stage;
    for (;;) {
      const outcome = await jobs.completeStage(JOB, stage, {});
      if (outcome.next === null) return stage;
      stage = outcome.next;
    }
  }

  it('starts, runs and pauses at the first required gate with exactly the events of the table', async () => {
    expect(await runUntilStopped()).toBe('script');
    expect(types).toEqual([
      'job_created',
      'job_started',
      'stage_started',
      'stage_completed',
      'stage_started',
      'stage_completed',
      'stage_started',
      'stage_completed',
      'gate_pause',
    ]);
    expect(await store.job(JOB)).toMatchObject({ status: 'needs_approval', stage: 'script' });
  });

  it("records a stage's files and its completion in one commit, or neither when the job moved on", async () => {
    const claimed = await jobs.claimNext('me', []);
    const commits: string[][] = [];
    store.onCommit((batch: readonly Commit[]) =>
      batch.forEach((commit) => commits.push(commit.events.map(({ event }) => event.type))),
    );
    const files = ['a.md', 'b.json'].map((name) => ({
      ...appliedPatch('outline').artifact,
      path: `artifacts/${name}`,
    }));
    await jobs.completeStage(JOB, claimed!.stage, {}, files);
    expect(commits).toEqual([['artifact_created', 'artifact_created', 'stage_completed', 'stage_started']]);
    expect((await store.job(JOB))?.artifacts.map((artifact) => artifact.path)).toEqual([
      'artifacts/a.md',
      'artifacts/b.json',
    ]);

    await jobs.cancel(JOB, 'admin');
    const late = [{ ...files[0], path: 'artifacts/late.md' }];
    await expect(jobs.completeStage(JOB, 'script', {}, late)).rejects.toThrow(IllegalTransition);
    expect((await store.job(JOB))?.artifacts).toHaveLength(2);
  });

  it('moves a job approved at its gate to the queue at the next stage, and claims it with stage_started only', async () => {
    await runUntilStopped();
    await gates.approve(JOB, 'script', { operator: 'dana', notes: 'ok' }, noPatch);
    expect(await store.job(JOB)).toMatchObject({ status: 'queued', stage: 'storyboard' });
    types = [];
    expect(await jobs.claimNext('me', [])).toMatchObject({ jobId: JOB, stage: 'storyboard' });
    expect(types).toEqual(['stage_started']);
  });

  it('lets only one of two racing decisions on a gate through; the other gets a 409', async () => {
    await runUntilStopped();
    const results = await Promise.allSettled([
      gates.approve(JOB, 'script', { operator: 'a', notes: null }, noPatch),
      gates.reject(JOB, 'script', { operator: 'b', notes: null, patch: null }),
    ]);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refusal = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
    expect(refusal.reason).toBeInstanceOf(ConflictError);
  });

  it('refuses a command from a status with no row, naming the status, and writes nothing', async () => {
    await jobs.cancel(JOB, 'admin');
    const before = await store.eventsAfter({ jobId: JOB }, 0, 100);
    await expect(jobs.cancel(JOB, 'admin')).rejects.toThrow(IllegalTransition);
    await expect(jobs.cancel(JOB, 'admin')).rejects.toThrow(`Job ${JOB} is canceled`);
    await expect(gates.resume(JOB, 'admin', noPatch)).rejects.toThrow('only a paused job can be resumed');
    expect(await store.eventsAfter({ jobId: JOB }, 0, 100)).toEqual(before);
  });

  it('completes a job resumed at its last stage with the rejection patch: paused → completed', async () => {
    await store.unitOfWork((tx) =>
      tx.updateJob(JOB, { status: 'paused', stage: 'acceptance', started_at: 'then', updated_at: 'now' }),
    );
    const rejection = {
      approved: false,
      by: 'dana',
      at: 'then',
      notes: 'fix',
      patch: { op: 'x' },
      auto_approved: false,
    };
    await store.unitOfWork((tx) => tx.decideGate(JOB, 'acceptance', rejection));
    types = [];
    expect(await gates.resume(JOB, 'erin', appliedPatch)).toBe(1);
    expect(types).toEqual(['job_resumed', 'patch_applied', 'job_completed']);
    const job = await store.job(JOB);
    expect(job?.status).toBe('completed');
    expect(job?.gates.find((gate) => gate.stage === 'acceptance')).toMatchObject({
      approved: true,
      by: 'erin (patch applied)',
      notes: 'fix',
    });
  });

  it('drops a log line of a job that is no longer running with a 409', async () => {
    await runUntilStopped();
    await expect(jobs.log(JOB, 'script', 'stdout', 'late')).rejects.toThrow(IllegalTransition);
  });
});
