import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestApp, bootTestApp, removeDir } from './helpers/app';
import { allEvents, decide, waitForGate, waitForStatus } from './helpers/jobs';

describe('patches', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await bootTestApp({ pipeline: { simulate: { stage_seconds: 0.01 } } });
  });
  afterAll(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it('lists the supported patch types with an example each', async () => {
    const { body } = await t.http().get('/api/v1/patches/types').set(t.auth).expect(200);
    expect(body.patch_types.map((p: { type: string }) => p.type)).toEqual([
      'text_replace',
      'section_replace',
      'duration_adjust',
      'level_adjust',
      'json_patch',
    ]);
    for (const entry of body.patch_types) expect(entry.example).toBeDefined();
  });

  it('applies a patch directly in any status and reports patch_applied_direct', async () => {
    const job = await t.createJob({ slug: 'direct' });
    await waitForGate(t, job.id, 'script');
    const path = join(t.runsDir, job.id, 'artifacts', 'script.md');
    const patch = { type: 'text_replace', replacements: [{ old: 'Thanks for watching.', new: 'See you soon.' }] };
    const response = await t
      .http()
      .post(`/api/v1/jobs/${job.id}/patches/script/apply`)
      .set(t.auth)
      .send(patch)
      .expect(200);
    expect(response.body).toMatchObject({ path: 'artifacts/script.md', patch });
    expect(readFileSync(path, 'utf8')).toContain('See you soon.');
    const events = await allEvents(t, job.id);
    expect(events[events.length - 1]).toMatchObject({
      type: 'patch_applied_direct',
      stage: 'script',
      payload: { stage: 'script', operator: 'admin', patch },
    });
    const artifact = (await t.http().get(`/api/v1/jobs/${job.id}/artifacts`).set(t.auth)).body.find(
      (a: any) => a.path === 'artifacts/script.md',
    );
    expect(artifact.size_bytes).toBe(readFileSync(path).length);
  });

  it.each([
    ['a malformed patch', 'script', { type: 'text_replace', replacements: 'x' }, 400],
    ['text that is not there', 'script', { type: 'text_replace', replacements: [{ old: 'absent', new: 'x' }] }, 400],
    ['a patch for another stage', 'script', { type: 'level_adjust', level_change_db: 3 }, 400],
    ['an artifact not produced yet', 'audio', { type: 'level_adjust', level_change_db: 3 }, 404],
    ['an unknown stage', 'nope', { type: 'level_adjust', level_change_db: 3 }, 404],
  ])('refuses %s and changes nothing on disk', async (_name, stage, patch, status) => {
    const job = await t.createJob({ slug: 'refused' });
    await waitForGate(t, job.id, 'script');
    const path = join(t.runsDir, job.id, 'artifacts', 'script.md');
    const before = readFileSync(path);
    const response = await t
      .http()
      .post(`/api/v1/jobs/${job.id}/patches/${stage}/apply`)
      .set(t.auth)
      .send(patch)
      .expect(status);
    expect(response.body.detail).toBeDefined();
    expect(readFileSync(path)).toEqual(before);
    expect((await allEvents(t, job.id)).some((e) => e.type === 'patch_applied_direct')).toBe(false);
  });

  it('refuses a reject whose patch is malformed, leaving the gate waiting', async () => {
    const job = await t.createJob({ slug: 'bad-reject' });
    await waitForGate(t, job.id, 'script');
    const response = await decide(t, job.id, 'reject', { stage: 'script', patch: { type: 'duration_adjust' } }, 400);
    expect(response.detail).toContain('Invalid patch');
    const current = await waitForStatus(t, job.id, ['needs_approval']);
    expect(current.gates.find((g: any) => g.stage === 'script').approved).toBeNull();
  });

  it('refuses an approval whose patch does not apply, leaving the gate waiting and the file untouched', async () => {
    const job = await t.createJob({ slug: 'bad-approve' });
    await waitForGate(t, job.id, 'script');
    const path = join(t.runsDir, job.id, 'artifacts', 'script.md');
    const before = readFileSync(path);
    const patch = { type: 'text_replace', replacements: [{ old: 'not in the script', new: 'x' }] };
    const response = await decide(t, job.id, 'approve', { stage: 'script', patch }, 400);
    expect(response.detail).toContain('not found');
    expect(readFileSync(path)).toEqual(before);
    const current = await waitForStatus(t, job.id, ['needs_approval']);
    expect(current.gates.find((g: any) => g.stage === 'script').approved).toBeNull();
    expect((await allEvents(t, job.id)).some((e) => e.type === 'gate_approved')).toBe(false);
  });

  it('applies a patch given with an approval before the next stage runs', async () => {
    const job = await t.createJob({ slug: 'approve-patch' });
    await waitForGate(t, job.id, 'script');
    const patch = {
      type: 'section_replace',
      section_marker: '## Scene 2',
      new_section: '## Scene 2\nNarrator: Shorter.',
    };
    await decide(t, job.id, 'approve', { stage: 'script', patch });
    await waitForGate(t, job.id, 'storyboard');
    expect(readFileSync(join(t.runsDir, job.id, 'artifacts', 'script.md'), 'utf8')).toContain('Narrator: Shorter.');
    const types = (await allEvents(t, job.id)).map((e) => e.type);
    const approved = types.indexOf('gate_approved');
    expect(types.slice(approved, approved + 3)).toEqual(['gate_approved', 'patch_applied', 'stage_started']);
  });
});
