import { Stage } from '../stages';
import { Patch, parsePatch, patchTarget } from './validate-patch';
import { refusalOf } from './refusal.spec-helper';

const beat = (duration: unknown, beat_id: unknown = 'b1') => ({
  type: 'duration_adjust',
  beat_adjustments: [{ beat_id, duration }],
});

describe('parsePatch', () => {
  it.each<[string, unknown, Stage, Patch]>([
    [
      'a text_replace',
      { type: 'text_replace', replacements: [{ old: 'a', new: '' }] },
      'script',
      { type: 'text_replace', replacements: [{ old: 'a', new: '' }] },
    ],
    [
      'a section_replace',
      { type: 'section_replace', section_marker: '## Scene 1', new_section: '## Scene 1\nHi.' },
      'script',
      { type: 'section_replace', section_marker: '## Scene 1', new_section: '## Scene 1\nHi.' },
    ],
    [
      'a duration_adjust',
      beat(5.5),
      'storyboard',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: 5.5 }] },
    ],
    [
      'a duration of exactly 3600 s',
      beat(3600),
      'storyboard',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: 3600 }] },
    ],
    [
      'a numeric beat id, as a string',
      beat(1, 7),
      'storyboard',
      { type: 'duration_adjust', beat_adjustments: [{ beat_id: '7', duration: 1 }] },
    ],
    [
      'a level_adjust at the limit',
      { type: 'level_adjust', level_change_db: -60 },
      'audio',
      { type: 'level_adjust', level_change_db: -60 },
    ],
    [
      'an {op, path, value} operation',
      { op: 'replace', path: '/sections/0/beats/1/duration', value: 2 },
      'storyboard',
      { op: 'replace', path: '/sections/0/beats/1/duration', value: 2 },
    ],
    [
      'an operation named json_patch',
      { type: 'json_patch', op: 'add', path: '/notes/-', value: 'x' },
      'research',
      { op: 'add', path: '/notes/-', value: 'x' },
    ],
    [
      'an add of null',
      { op: 'add', path: '/a~1b/~0c', value: null },
      'acceptance',
      { op: 'add', path: '/a~1b/~0c', value: null },
    ],
    [
      'a remove, dropping its value',
      { op: 'remove', path: '/sections/0', value: 1 },
      'storyboard',
      { op: 'remove', path: '/sections/0' },
    ],
    [
      'a patch with extra fields, dropping them',
      { type: 'level_adjust', level_change_db: 3, why: 'loud' },
      'audio',
      { type: 'level_adjust', level_change_db: 3 },
    ],
  ])('accepts %s and returns a clean copy', (_name, raw, stage, expected) => {
    expect(parsePatch(raw, stage)).toEqual(expected);
  });

  it.each<[string, unknown, Stage, string]>([
    ['a string', 'text', 'script', 'a patch must be a JSON object'],
    ['null', null, 'script', 'a patch must be a JSON object'],
    ['an array', [{ type: 'level_adjust', level_change_db: 1 }], 'audio', 'a patch must be a JSON object'],
    ['an object with neither type nor op', { foo: 1 }, 'script', 'a patch needs a "type"'],
    ['an unknown type', { type: 'magic' }, 'script', 'unknown patch type "magic" (one of text_replace'],
    ['a type that is not a string', { type: 5 }, 'script', 'type must be a string'],
    [
      'replacements that are not an array',
      { type: 'text_replace', replacements: 'x' },
      'script',
      'replacements must be a non-empty array',
    ],
    [
      'empty replacements',
      { type: 'text_replace', replacements: [] },
      'script',
      'replacements must be a non-empty array',
    ],
    [
      'a replacement that is not an object',
      { type: 'text_replace', replacements: ['a'] },
      'script',
      'replacements[0] must be an object',
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
      'a second replacement without new',
      { type: 'text_replace', replacements: [{ old: 'a', new: 'b' }, { old: 'c' }] },
      'script',
      'replacements[1].new must be a string',
    ],
    [
      'a section without marker',
      { type: 'section_replace', new_section: 'x' },
      'script',
      'section_marker must be a string',
    ],
    [
      'a section with an empty marker',
      { type: 'section_replace', section_marker: '', new_section: 'x' },
      'script',
      'section_marker must not be empty',
    ],
    [
      'a section without new_section',
      { type: 'section_replace', section_marker: '## A' },
      'script',
      'new_section must be a string',
    ],
    [
      'a too long new_section',
      { type: 'section_replace', section_marker: '## A', new_section: 'x'.repeat(100_001) },
      'script',
      'new_section is longer than',
    ],
    [
      'missing beat_adjustments',
      { type: 'duration_adjust' },
      'storyboard',
      'beat_adjustments must be a non-empty array',
    ],
    [
      'a beat adjustment that is not an object',
      { type: 'duration_adjust', beat_adjustments: [3] },
      'storyboard',
      'beat_adjustments[0] must be an object',
    ],
    ['a duration that is a string', beat('5'), 'storyboard', 'beat_adjustments[0].duration must be a number'],
    ['a duration that is missing', beat(undefined), 'storyboard', 'beat_adjustments[0].duration must be a number'],
    ['a zero duration', beat(0), 'storyboard', 'duration must be more than 0 and at most 3600 seconds'],
    ['a negative duration', beat(-1), 'storyboard', 'duration must be more than 0'],
    ['a duration over an hour', beat(3600.5), 'storyboard', 'at most 3600 seconds'],
    ['a beat without id', beat(1, null), 'storyboard', 'beat_adjustments[0].beat_id must be a string'],
    [
      'a level that is null',
      { type: 'level_adjust', level_change_db: null },
      'audio',
      'level_change_db must be a number',
    ],
    [
      'a level that is a string',
      { type: 'level_adjust', level_change_db: '-3' },
      'audio',
      'level_change_db must be a number',
    ],
    [
      'a level out of range',
      { type: 'level_adjust', level_change_db: 60.1 },
      'audio',
      'level_change_db must be between -60 and 60',
    ],
    ['an unknown op', { op: 'move', path: '/a', value: 1 }, 'storyboard', 'op must be add, replace or remove'],
    [
      'a json_patch without op',
      { type: 'json_patch', path: '/a', value: 1 },
      'storyboard',
      'op must be add, replace or remove',
    ],
    ['a path that is not a string', { op: 'remove', path: 3 }, 'storyboard', 'path must be a string'],
    [
      'a path without a leading slash',
      { op: 'replace', path: 'a/b', value: 1 },
      'storyboard',
      'must be a JSON pointer',
    ],
    ['the whole-document pointer', { op: 'replace', path: '', value: {} }, 'storyboard', 'must be a JSON pointer'],
    ['a path with a bad escape', { op: 'remove', path: '/a~2' }, 'storyboard', 'must be a JSON pointer'],
    ['a replace without value', { op: 'replace', path: '/a' }, 'storyboard', 'op replace needs a value'],
    ['a duration_adjust at the script gate', beat(1), 'script', 'duration_adjust applies to storyboard, not to script'],
    [
      'a text_replace at the audio gate',
      { type: 'text_replace', replacements: [{ old: 'a', new: 'b' }] },
      'audio',
      'text_replace applies to script, not to audio',
    ],
    [
      'a level_adjust at the storyboard gate',
      { type: 'level_adjust', level_change_db: 1 },
      'storyboard',
      'level_adjust applies to audio, not to storyboard',
    ],
    [
      'a JSON operation on the markdown script',
      { op: 'replace', path: '/a', value: 1 },
      'script',
      'json_patch applies to research, storyboard, animatics, audio, acceptance, not to script',
    ],
    ['a JSON operation at the assemble gate', { op: 'remove', path: '/a' }, 'assemble', 'not to assemble'],
  ])('refuses %s with a 400 whose detail says why', (_name, raw, stage, detail) => {
    expect(refusalOf(() => parsePatch(raw, stage))).toEqual({ status: 400, detail: expect.stringContaining(detail) });
  });

  it('prefixes every refusal with "Invalid patch:" so a client can tell it from a patch that does not apply', () => {
    expect(refusalOf(() => parsePatch({ type: 'nope' }, 'script'))).toMatchObject({
      detail: expect.stringMatching(/^Invalid patch: /),
    });
  });
});

describe('patchTarget', () => {
  it.each<[Patch, Stage, string]>([
    [{ type: 'text_replace', replacements: [{ old: 'a', new: 'b' }] }, 'script', 'script.md'],
    [{ type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: 1 }] }, 'storyboard', 'storyboard.json'],
    [{ type: 'level_adjust', level_change_db: 1 }, 'audio', 'audio.json'],
    [{ op: 'remove', path: '/a' }, 'research', 'research.json'],
    [{ op: 'remove', path: '/a' }, 'animatics', 'animatics.json'],
    [{ op: 'remove', path: '/a' }, 'acceptance', 'acceptance.json'],
  ])("names the stage's artifact the patch rewrites", (patch, stage, file) => {
    expect(patchTarget(patch, stage)).toBe(file);
  });
});
