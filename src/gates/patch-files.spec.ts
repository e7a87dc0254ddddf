import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stage } from '../domain/stages';
import { applyPatchToArtifacts } from './patch-files';
import { refusalOf } from '../domain/patches/refusal.spec-helper';

/** Artifacts as the simulate runner writes them (2-space JSON with a final newline). */
const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';
const ARTIFACTS: Record<string, string> = {
  'script.md':
    '# Script: demo\n\n## Scene 1\nNarrator: Hello.\n\n## Scene 2\nNarrator: Here is how it works.\n\n' +
    '## Scene 3\nNarrator: Thanks for watching.\n',
  'storyboard.json': json({
    sections: [
      { id: 's1', title: 'Scene 1', beats: [{ id: 'b1', duration: 4, description: 'Title card' }] },
      { id: 's2', title: 'Scene 2', beats: [{ id: 'b3', duration: 8, description: 'Explainer' }] },
    ],
  }),
  'audio.json': json({ level_db: -14, tracks: [{ id: 'voice', level_db: -14 }] }),
  'research.json': json({ topic: 'demo', sources: [{ id: 'r1', title: 'Background' }], notes: [] }),
  // Hand-edited into something that is not JSON: patches must refuse it, not overwrite it.
  'acceptance.json': '{"accepted": true,',
};

describe('applyPatchToArtifacts', () => {
  let dir: string;
  const read = (file: string) => readFileSync(join(dir, file), 'utf8');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'patches-'));
    for (const [file, content] of Object.entries(ARTIFACTS)) writeFileSync(join(dir, file), content);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it.each<[Stage, unknown, string, string]>([
    [
      'script',
      { type: 'text_replace', replacements: [{ old: 'Thanks for watching.', new: 'See you soon.' }] },
      'script.md',
      ARTIFACTS['script.md'].replace('Thanks for watching.', 'See you soon.'),
    ],
    [
      'script',
      { type: 'section_replace', section_marker: '## Scene 2', new_section: '## Scene 2\nNarrator: Shorter.' },
      'script.md',
      ARTIFACTS['script.md'].replace('Here is how it works.', 'Shorter.'),
    ],
    [
      'storyboard',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b3', duration: 7.5 }] },
      'storyboard.json',
      ARTIFACTS['storyboard.json'].replace('"duration": 8', '"duration": 7.5'),
    ],
    [
      'audio',
      { type: 'level_adjust', level_change_db: -3 },
      'audio.json',
      ARTIFACTS['audio.json'].replaceAll('-14', '-17'),
    ],
    [
      'research',
      { op: 'add', path: '/notes/-', value: 'check the dates' },
      'research.json',
      json({ topic: 'demo', sources: [{ id: 'r1', title: 'Background' }], notes: ['check the dates'] }),
    ],
    [
      'storyboard',
      { type: 'json_patch', op: 'replace', path: '/sections/0/beats/0/duration', value: 5 },
      'storyboard.json',
      ARTIFACTS['storyboard.json'].replace('"duration": 4', '"duration": 5'),
    ],
  ])('rewrites the %s artifact when the patch applies', (stage, patch, file, expected) => {
    expect(applyPatchToArtifacts(dir, stage, patch)).toEqual({ file, patch: expect.any(Object) });
    expect(read(file)).toBe(expected);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(ARTIFACTS).sort());
  });

  it('returns the validated patch, without the fields it ignores', () => {
    const { patch } = applyPatchToArtifacts(dir, 'audio', { type: 'level_adjust', level_change_db: 2, note: 'x' });
    expect(patch).toEqual({ type: 'level_adjust', level_change_db: 2 });
  });

  it.each<[string, Stage, unknown, string, string]>([
    ['a patch that is not an object', 'script', 'louder', 'script.md', 'Invalid patch: a patch must be a JSON object'],
    ['an unknown type', 'script', { type: 'rewrite' }, 'script.md', 'unknown patch type "rewrite"'],
    [
      'a malformed text_replace',
      'script',
      { type: 'text_replace', replacements: 'x' },
      'script.md',
      'replacements must be a non-empty array',
    ],
    [
      'a patch for another stage',
      'storyboard',
      { type: 'level_adjust', level_change_db: 3 },
      'storyboard.json',
      'level_adjust applies to audio, not to storyboard',
    ],
    [
      'a second replacement that does not apply after a first that did',
      'script',
      {
        type: 'text_replace',
        replacements: [
          { old: 'Hello.', new: 'Hi.' },
          { old: 'absent', new: 'y' },
        ],
      },
      'script.md',
      'text "absent" not found',
    ],
    [
      'a missing section',
      'script',
      { type: 'section_replace', section_marker: '## Scene 9', new_section: 'x' },
      'script.md',
      'section "## Scene 9" not found',
    ],
    [
      'a second beat that is not there after a first that is',
      'storyboard',
      {
        type: 'duration_adjust',
        beat_adjustments: [
          { beat_id: 'b1', duration: 1 },
          { beat_id: 'nope', duration: 2 },
        ],
      },
      'storyboard.json',
      'beat "nope" not found',
    ],
    [
      'an invalid duration',
      'storyboard',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: 0 }] },
      'storyboard.json',
      'duration must be more than 0',
    ],
    [
      'an operation that leaves a beat with a bad duration',
      'storyboard',
      { op: 'replace', path: '/sections/1/beats/0/duration', value: 'long' },
      'storyboard.json',
      'beat "b3" would have duration "long"',
    ],
    [
      'an operation on a path that is not there',
      'audio',
      { op: 'remove', path: '/tracks/3' },
      'audio.json',
      'path /tracks/3 not found',
    ],
    [
      'a level change too large',
      'audio',
      { type: 'level_adjust', level_change_db: -61 },
      'audio.json',
      'level_change_db must be between -60 and 60',
    ],
    [
      'an artifact that is not valid JSON',
      'acceptance',
      { op: 'replace', path: '/accepted', value: false },
      'acceptance.json',
      'acceptance.json is not valid JSON',
    ],
  ])('refuses %s with a 400 and leaves the file byte for byte as it was', (_name, stage, patch, file, detail) => {
    const before = readFileSync(join(dir, file));
    expect(refusalOf(() => applyPatchToArtifacts(dir, stage, patch))).toEqual({
      status: 400,
      detail: expect.stringContaining(detail),
    });
    expect(readFileSync(join(dir, file))).toEqual(before);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(ARTIFACTS).sort());
  });

  it('answers 404 when the stage has not produced its artifact yet, creating nothing', () => {
    rmSync(join(dir, 'audio.json'));
    expect(refusalOf(() => applyPatchToArtifacts(dir, 'audio', { type: 'level_adjust', level_change_db: 1 }))).toEqual({
      status: 404,
      detail: 'No audio.json to patch yet: the audio stage has not produced it',
    });
    expect(readdirSync(dir)).not.toContain('audio.json');
  });

  it('answers 404 when the artifact path is a directory, not a file', () => {
    mkdirSync(join(dir, 'animatics.json'));
    expect(refusalOf(() => applyPatchToArtifacts(dir, 'animatics', { op: 'remove', path: '/fps' }))).toMatchObject({
      status: 404,
    });
  });

  it('checks the patch before looking for the artifact, so a malformed one is a 400 even then', () => {
    rmSync(join(dir, 'audio.json'));
    expect(refusalOf(() => applyPatchToArtifacts(dir, 'audio', { type: 'level_adjust' }))).toMatchObject({
      status: 400,
    });
  });
});
