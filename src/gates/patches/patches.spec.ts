import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { Stage } from '../../common/stages';
import { applyPatchToArtifacts, applyToJson, applyToText } from './apply-patch';
import { parsePatch } from './validate-patch';

const SCRIPT = '# Script\n\n## Scene 1\nHello.\n\n## Scene 2\nMiddle.\n\n## Scene 3\nBye.\n';
const STORYBOARD = {
  sections: [
    {
      id: 's1',
      beats: [
        { id: 'b1', duration: 4 },
        { id: 'b2', duration: 6 },
      ],
    },
  ],
};
const AUDIO = { level_db: -14, tracks: [{ id: 'voice', level_db: -14 }] };

function statusOf(action: () => unknown): { status: number; detail: string } | null {
  try {
    action();
    return null;
  } catch (error) {
    if (!(error instanceof HttpException)) throw error;
    return { status: error.getStatus(), detail: String((error.getResponse() as { message: string }).message) };
  }
}

describe('parsePatch', () => {
  it.each<[string, unknown, Stage, string]>([
    ['not an object', 'text', 'script', 'must be a JSON object'],
    ['an array', [], 'script', 'must be a JSON object'],
    ['no type and no op', { foo: 1 }, 'script', 'needs a "type"'],
    ['an unknown type', { type: 'magic' }, 'script', 'unknown patch type'],
    [
      'empty replacements',
      { type: 'text_replace', replacements: [] },
      'script',
      'replacements must be a non-empty array',
    ],
    [
      'a replacement without old',
      { type: 'text_replace', replacements: [{ new: 'x' }] },
      'script',
      'replacements[0].old must be a string',
    ],
    [
      'an empty old text',
      { type: 'text_replace', replacements: [{ old: '', new: 'x' }] },
      'script',
      'replacements[0].old must not be empty',
    ],
    [
      'a section without marker',
      { type: 'section_replace', new_section: 'x' },
      'script',
      'section_marker must be a string',
    ],
    [
      'a duration that is a string',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: '5' }] },
      'storyboard',
      'duration must be a number',
    ],
    [
      'a negative duration',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: -1 }] },
      'storyboard',
      'more than 0',
    ],
    [
      'a huge duration',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: 1e9 }] },
      'storyboard',
      'at most 3600',
    ],
    [
      'a beat adjustment that is not an object',
      { type: 'duration_adjust', beat_adjustments: [3] },
      'storyboard',
      'must be an object',
    ],
    [
      'a level that is not finite',
      { type: 'level_adjust', level_change_db: null },
      'audio',
      'level_change_db must be a number',
    ],
    ['a level out of range', { type: 'level_adjust', level_change_db: 100 }, 'audio', 'between -60 and 60'],
    ['an unknown op', { op: 'move', path: '/a', value: 1 }, 'storyboard', 'op must be add, replace or remove'],
    ['a path that is not a pointer', { op: 'replace', path: 'a/b', value: 1 }, 'storyboard', 'JSON pointer'],
    ['replace without value', { op: 'replace', path: '/a' }, 'storyboard', 'needs a value'],
    [
      'a patch for another stage',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: 1 }] },
      'script',
      'applies to storyboard, not to script',
    ],
    ['a JSON operation on the markdown script', { op: 'replace', path: '/a', value: 1 }, 'script', 'not to script'],
  ])('refuses %s with a 400 saying why', (_name, raw, stage, detail) => {
    const problem = statusOf(() => parsePatch(raw, stage));
    expect(problem?.status).toBe(400);
    expect(problem?.detail).toContain(detail);
  });

  it('returns a clean copy of a valid patch', () => {
    expect(parsePatch({ type: 'level_adjust', level_change_db: -3, extra: true }, 'audio')).toEqual({
      type: 'level_adjust',
      level_change_db: -3,
    });
    expect(parsePatch({ op: 'remove', path: '/sections/0', value: 1 }, 'storyboard')).toEqual({
      op: 'remove',
      path: '/sections/0',
    });
  });
});

describe('applyToText and applyToJson', () => {
  it('replaces texts and whole sections of the script', () => {
    expect(applyToText({ type: 'text_replace', replacements: [{ old: 'Hello.', new: 'Hi!' }] }, SCRIPT)).toContain(
      '## Scene 1\nHi!',
    );
    const replaced = applyToText(
      { type: 'section_replace', section_marker: '## Scene 2', new_section: '## Scene 2\nShorter.' },
      SCRIPT,
    );
    expect(replaced).toBe('# Script\n\n## Scene 1\nHello.\n\n## Scene 2\nShorter.\n\n## Scene 3\nBye.\n');
  });

  it('sets beat durations, shifts audio levels and applies JSON operations without touching its input', () => {
    const input = structuredClone(STORYBOARD);
    const adjusted = applyToJson(
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b2', duration: 7.5 }] },
      input,
    ) as typeof STORYBOARD;
    expect(adjusted.sections[0].beats[1].duration).toBe(7.5);
    expect(input).toEqual(STORYBOARD);
    expect(applyToJson({ type: 'level_adjust', level_change_db: -3 }, AUDIO)).toEqual({
      level_db: -17,
      tracks: [{ id: 'voice', level_db: -17 }],
    });
    expect(applyToJson({ op: 'replace', path: '/sections/0/beats/0/duration', value: 2 }, STORYBOARD)).toMatchObject({
      sections: [{ beats: [{ duration: 2 }, { duration: 6 }] }],
    });
    expect(
      applyToJson({ op: 'add', path: '/sections/0/beats/-', value: { id: 'b3', duration: 1 } }, STORYBOARD),
    ).toMatchObject({ sections: [{ beats: [{}, {}, { id: 'b3' }] }] });
    expect(applyToJson({ op: 'remove', path: '/sections/0/beats/0' }, STORYBOARD)).toMatchObject({
      sections: [{ beats: [{ id: 'b2' }] }],
    });
  });

  it.each<[string, () => unknown, string]>([
    [
      'a missing text',
      () => applyToText({ type: 'text_replace', replacements: [{ old: 'nope', new: 'x' }] }, SCRIPT),
      'not found',
    ],
    [
      'a missing section',
      () => applyToText({ type: 'section_replace', section_marker: '## Scene 9', new_section: 'x' }, SCRIPT),
      'not found',
    ],
    [
      'a missing beat',
      () => applyToJson({ type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b9', duration: 1 }] }, STORYBOARD),
      'beat "b9" not found',
    ],
    [
      'a missing pointer',
      () => applyToJson({ op: 'replace', path: '/sections/5/id', value: 1 }, STORYBOARD),
      'not found',
    ],
  ])('refuses %s with a 400', (_name, action, detail) => {
    const problem = statusOf(action);
    expect(problem).toEqual({ status: 400, detail: expect.stringContaining(detail) });
  });
});

describe('applyPatchToArtifacts', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'patches-'));
    writeFileSync(join(dir, 'storyboard.json'), JSON.stringify(STORYBOARD));
    writeFileSync(join(dir, 'script.md'), SCRIPT);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('rewrites the stage artifact when the patch applies', () => {
    const { file } = applyPatchToArtifacts(dir, 'storyboard', {
      type: 'duration_adjust',
      beat_adjustments: [{ beat_id: 'b1', duration: 9 }],
    });
    expect(file).toBe('storyboard.json');
    expect(JSON.parse(readFileSync(join(dir, file), 'utf8')).sections[0].beats[0].duration).toBe(9);
  });

  it.each<[Stage, unknown]>([
    [
      'storyboard',
      {
        type: 'duration_adjust',
        beat_adjustments: [
          { beat_id: 'b1', duration: 1 },
          { beat_id: 'nope', duration: 2 },
        ],
      },
    ],
    ['storyboard', { type: 'duration_adjust', beat_adjustments: 'b1' }],
    [
      'script',
      {
        type: 'text_replace',
        replacements: [
          { old: 'Hello.', new: 'x' },
          { old: 'absent', new: 'y' },
        ],
      },
    ],
  ])('leaves the %s file byte for byte as it was when the patch fails', (stage, patch) => {
    const file = stage === 'script' ? 'script.md' : 'storyboard.json';
    const before = readFileSync(join(dir, file));
    expect(() => applyPatchToArtifacts(dir, stage, patch)).toThrow(BadRequestException);
    expect(readFileSync(join(dir, file))).toEqual(before);
  });

  it('answers 404 when the stage has not produced its artifact yet', () => {
    expect(() => applyPatchToArtifacts(dir, 'audio', { type: 'level_adjust', level_change_db: 1 })).toThrow(
      NotFoundException,
    );
  });
});
