import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobEvent } from '../src/domain/events';
import { TestApp, bootTestApp, removeDir, waitFor } from './helpers/app';
import { NO_GATES, allEvents, decide, milestones, stagesRun, waitForGate, waitForStatus } from './helpers/jobs';
import { openSse } from './helpers/sse';

const FAST = { pipeline: { simulate: { stage_seconds: 0.01 } } };

describe('the orchestrator with the default gates', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp(FAST);
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('runs the operator flow: approve, reject with a patch, resume, approve to completion', async () => {
    const job = await t.createJob({ slug: 'flow' });
    await waitForGate(t, job.id, 'script');
    expect(await decide(t, job.id, 'approve', { stage: 'script', notes: 'good' })).toEqual({
      message: 'Gate script approved successfully',
    });
    await waitForGate(t, job.id, 'storyboard');
    const storyboardPath = join(t.runsDir, job.id, 'artifacts', 'storyboard.json');
    const storyboard = JSON.parse(readFileSync(storyboardPath, 'utf8'));
    const beatId = storyboard.sections[0].beats[0].id;
    const patch = { type: 'duration_adjust', beat_adjustments: [{ beat_id: beatId, duration: 7.5 }] };
    expect(await decide(t, job.id, 'reject', { stage: 'storyboard', notes: 'too short', patch })).toEqual({
      message: 'Gate storyboard rejected successfully',
    });
    // A decision is answered once state.json shows it (written off the event loop, docs/ARCHITECTURE.md).
    const afterReject = JSON.parse(readFileSync(join(t.runsDir, job.id, 'state.json'), 'utf8'));
    expect(afterReject.status).toBe('paused');
    expect(afterReject.gates.find((gate: any) => gate.stage === 'storyboard')).toMatchObject({ approved: false });
    await waitForStatus(t, job.id, ['paused']);
    const resumed = await t.http().post(`/api/v1/jobs/${job.id}/resume`).set(t.auth).send({}).expect(200);
    expect(resumed.body).toEqual({ message: 'Job resumed successfully', patches_applied: 1 });
    expect(JSON.parse(readFileSync(storyboardPath, 'utf8')).sections[0].beats[0].duration).toBe(7.5);
    for (const stage of ['assets', 'audio']) {
      await waitForGate(t, job.id, stage);
      await decide(t, job.id, 'approve', { stage });
    }
    const done = await waitForStatus(t, job.id, ['completed']);
    expect(done.gates.find((g: any) => g.stage === 'storyboard')).toMatchObject({
      approved: true,
      by: 'admin (patch applied)',
    });

    const events = await allEvents(t, job.id);
    expect(milestones(events)).toEqual([
      'job_created',
      'job_started:outline',
      ...stagesRun(['outline', 'research', 'script']),
      'gate_pause:script',
      'gate_approved:script',
      ...stagesRun(['storyboard']),
      'gate_pause:storyboard',
      'gate_rejected:storyboard',
      'job_resumed:storyboard',
      'patch_applied:storyboard',
      ...stagesRun(['assets']),
      'gate_pause:assets',
      'gate_approved:assets',
      ...stagesRun(['animatics', 'audio']),
      'gate_pause:audio',
      'gate_approved:audio',
      ...stagesRun(['assemble', 'acceptance']),
      'job_completed',
    ]);
    for (const event of events) {
      if (event.payload.stage !== undefined) expect(event.payload.stage).toBe(event.stage);
      if (event.payload.status !== undefined) expect(event.payload.status).toBe(event.status);
    }
    expect(events.filter((e) => e.type === 'artifact_created').length).toBeGreaterThanOrEqual(9);
    // The same events, in the same order, on every surface.
    expect(t.jsonl(job.id)).toEqual(events);
    const sse = await openSse(`${t.baseUrl}/api/v1/jobs/${job.id}/events/stream?since=0`, t.auth);
    try {
      await sse.waitFor((frames) => frames.some((f) => f.json?.type === 'job_completed'));
      expect(sse.events()).toEqual(events);
    } finally {
      sse.close();
    }
    const decision = JSON.parse(readFileSync(join(t.runsDir, job.id, 'gates', 'storyboard.json'), 'utf8'));
    expect(decision).toMatchObject({
      stage: 'storyboard',
      approved: true,
      by: 'admin (patch applied)',
      patch,
      auto_approved: false,
    });
    const state = JSON.parse(readFileSync(join(t.runsDir, job.id, 'state.json'), 'utf8'));
    await waitFor(
      () => JSON.parse(readFileSync(join(t.runsDir, job.id, 'state.json'), 'utf8')).status === 'completed',
      3000,
      'state.json',
    );
    expect(state.id).toBe(job.id);
    const artifacts = (await t.http().get(`/api/v1/jobs/${job.id}/artifacts`).set(t.auth).expect(200)).body;
    expect(artifacts.find((a: any) => a.path === 'artifacts/storyboard.json')).toMatchObject({
      stage: 'storyboard',
      size_bytes: expect.any(Number),
      checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('re-runs a stage rejected without a patch and asks again', async () => {
    const job = await t.createJob({ slug: 'rerun' });
    await waitForGate(t, job.id, 'script');
    await decide(t, job.id, 'reject', { stage: 'script', notes: 'redo' });
    await waitForStatus(t, job.id, ['paused']);
    const resumed = await t.http().post(`/api/v1/jobs/${job.id}/resume`).set(t.auth).send({}).expect(200);
    expect(resumed.body.patches_applied).toBe(0);
    await waitForGate(t, job.id, 'script');
    const tail = milestones(await allEvents(t, job.id)).slice(-6);
    expect(tail).toEqual([
      'gate_pause:script',
      'gate_rejected:script',
      'job_resumed:script',
      'stage_started:script',
      'stage_completed:script',
      'gate_pause:script',
    ]);
    const gates = (await t.http().get(`/api/v1/jobs/${job.id}/gates/status`).set(t.auth).expect(200)).body;
    expect(gates).toMatchObject({
      job_id: job.id,
      job_status: 'needs_approval',
      current_stage: 'script',
      total_gates: 9,
      pending_gates: 9,
    });
  });

  it('refuses state conflicts with 409: a decided gate, resuming a running job, cancelling a finished one', async () => {
    const job = await t.createJob({ slug: 'conflicts' });
    await waitForGate(t, job.id, 'script');
    await decide(t, job.id, 'approve', { stage: 'script' });
    const again = await decide(t, job.id, 'approve', { stage: 'script' }, 409);
    expect(again.detail).toContain('already approved');
    await decide(t, job.id, 'reject', { stage: 'script' }, 409);
    const resume = await t.http().post(`/api/v1/jobs/${job.id}/resume`).set(t.auth).send({}).expect(409);
    expect(resume.body.detail).toContain('paused');
    await decide(t, job.id, 'approve', { stage: 'nope' }, 404);
    for (const stage of ['storyboard', 'assets', 'audio']) await decide(t, job.id, 'approve', { stage });
    await waitForStatus(t, job.id, ['completed']);
    const cancel = await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({}).expect(409);
    expect(cancel.body.detail).toContain('completed');
    const decisions = (await t.http().get(`/api/v1/jobs/${job.id}/gates/decisions`).set(t.auth).expect(200)).body;
    expect(decisions).toEqual({
      job_id: job.id,
      decisions: { script: 'approved', storyboard: 'approved', assets: 'approved', audio: 'approved' },
      total_decisions: 4,
    });
    const file = (await t.http().get(`/api/v1/jobs/${job.id}/gates/script/decision`).set(t.auth).expect(200)).body;
    expect(file).toMatchObject({ stage: 'script', approved: true, by: 'admin', auto_approved: false });
    await t.http().get(`/api/v1/jobs/${job.id}/gates/outline/decision`).set(t.auth).expect(404);
  });

  it('serves artifact files from the run dir only', async () => {
    const job = await t.createJob({ slug: 'files' });
    await waitForGate(t, job.id, 'script');
    const file = await t
      .http()
      .get(`/api/v1/jobs/${job.id}/artifacts/file?path=artifacts/script.md`)
      .set(t.auth)
      .expect(200);
    expect(file.text.length).toBeGreaterThan(0);
    for (const [path, status] of [
      ['../../etc/passwd', 400],
      ['/etc/passwd', 400],
      ['artifacts/../../x', 400],
      ['artifacts/nope.md', 404],
      ['artifacts', 404],
    ] as const) {
      const response = await t
        .http()
        .get(`/api/v1/jobs/${job.id}/artifacts/file?path=${encodeURIComponent(path)}`)
        .set(t.auth);
      expect([path, response.status]).toEqual([path, status]);
      expect(response.body.detail).toBeDefined();
    }
  });
});

describe('cancel, auto-approve and the queue', () => {
  it('cancels a job during a stage: nothing but job_canceled follows', async () => {
    const t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 1 } } });
    try {
      const job = await t.createJob({ slug: 'cancel' });
      await waitFor(
        async () => (await allEvents(t, job.id)).some((e) => e.type === 'stage_started'),
        5000,
        'a stage to start',
      );
      await t.http().post(`/api/v1/jobs/${job.id}/cancel`).set(t.auth).send({ operator: 'ops' }).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const events = await allEvents(t, job.id);
      expect(events[events.length - 1]).toMatchObject({
        type: 'job_canceled',
        status: 'canceled',
        payload: { status: 'canceled', operator: 'ops' },
      });
      expect((await t.http().get(`/api/v1/jobs/${job.id}`).set(t.auth)).body.status).toBe('canceled');
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });

  it('auto-approves a gate by "timer" within 1 s of its deadline', async () => {
    const t = await bootTestApp({
      ...FAST,
      gates: { ...NO_GATES, script: { required: true, auto_approve: true, auto_approve_after_s: 1 } },
    });
    try {
      const job = await t.createJob({ slug: 'timer' });
      await waitForStatus(t, job.id, ['completed'], 8000);
      const events = await allEvents(t, job.id);
      const pause = events.find((e) => e.type === 'gate_pause') as JobEvent;
      const auto = events.find((e) => e.type === 'gate_auto_approved') as JobEvent;
      expect(pause.payload).toMatchObject({ stage: 'script', timeout_seconds: 1 });
      expect(auto).toMatchObject({
        stage: 'script',
        status: 'auto_approved',
        payload: { stage: 'script', status: 'auto_approved', reason: 'timeout' },
      });
      const delay = Date.parse(auto.ts) - Date.parse(pause.ts);
      expect(delay).toBeGreaterThanOrEqual(1000);
      expect(delay).toBeLessThanOrEqual(2000);
      const gate = (await t.http().get(`/api/v1/jobs/${job.id}`).set(t.auth)).body.gates.find(
        (g: any) => g.stage === 'script',
      );
      expect(gate).toMatchObject({ approved: true, by: 'timer', auto_approved: true });
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });

  it('fails a job that outlives job_timeout_hours, stopping its running stage', async () => {
    const t = await bootTestApp({
      gates: NO_GATES,
      pipeline: { job_timeout_hours: 0.0002, simulate: { stage_seconds: 5 } },
    });
    try {
      const job = await t.createJob({ slug: 'too-slow' });
      await waitForStatus(t, job.id, ['failed'], 5000);
      const events = await allEvents(t, job.id);
      expect(milestones(events).slice(-2)).toEqual(['stage_failed:outline', 'job_failed']);
      expect(events[events.length - 1].payload).toEqual({ status: 'failed', error: 'job timed out after 0.0002 h' });
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });

  it.each([
    [1, 1],
    [2, 2],
  ])('runs at most max_concurrent_jobs=%i jobs at once, in creation order', async (max, expectedPeak) => {
    const t = await bootTestApp({
      gates: NO_GATES,
      pipeline: { max_concurrent_jobs: max, simulate: { stage_seconds: 0.05 } },
    });
    try {
      const jobs = [];
      for (let i = 0; i < 3; i++) jobs.push(await t.createJob({ slug: `q-${i}` }));
      for (const job of jobs) await waitForStatus(t, job.id, ['completed'], 15000);
      const events = await allEvents(t);
      const running = new Set<string>();
      let peak = 0;
      for (const event of events) {
        if (event.type === 'job_started' || event.type === 'stage_started') running.add(event.job_id);
        if (['gate_pause', 'job_completed', 'job_failed', 'job_canceled'].includes(event.type))
          running.delete(event.job_id);
        peak = Math.max(peak, running.size);
      }
      expect(peak).toBe(expectedPeak);
      const started = events.filter((e) => e.type === 'job_started').map((e) => e.job_id);
      expect(started).toEqual(jobs.map((job) => job.id));
      if (max === 1) {
        const completed = events.filter((e) => e.type === 'job_completed').map((e) => e.job_id);
        expect(completed).toEqual(jobs.map((job) => job.id));
      }
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });

  it('lets a job waiting at a gate give up its slot, and approves later gates in advance', async () => {
    const t = await bootTestApp({ ...FAST, pipeline: { max_concurrent_jobs: 1, simulate: { stage_seconds: 0.01 } } });
    try {
      const first = await t.createJob({ slug: 'first' });
      const second = await t.createJob({ slug: 'second' });
      await waitForGate(t, first.id, 'script');
      await waitForGate(t, second.id, 'script');
      for (const stage of ['storyboard', 'assets', 'audio']) await decide(t, first.id, 'approve', { stage });
      await decide(t, first.id, 'approve', { stage: 'script' });
      await waitForStatus(t, first.id, ['completed']);
      const types = milestones(await allEvents(t, first.id));
      expect(types.filter((type) => type.startsWith('gate_pause'))).toEqual(['gate_pause:script']);
      expect(types.filter((type) => type.startsWith('gate_approved'))).toEqual([
        'gate_approved:storyboard',
        'gate_approved:assets',
        'gate_approved:audio',
        'gate_approved:script',
      ]);
    } finally {
      await t.close();
      removeDir(t.dir);
    }
  });
});
