import { applyToJson, applyToText } from './apply-patch';
import { Patch } from './validate-patch';
import { refusalOf } from './refusal.spec-helper';

const SCRIPT =
  '# Script: demo\n\n## Scene 1\nNarrator: Hello.\n\n### Aside\nA note.\n\n\n' +
  '## Scene 2\nNarrator: Here is how it works.\n\n## Scene 10\nNarrator: Thanks for watching.\n';
const STORYBOARD = {
  sections: [
    {
      id: 's1',
      beats: [
        { id: 'b1', duration: 4, description: 'Title card' },
        { id: 'b2', duration: 6 },
      ],
    },
    { id: 's2', beats: [{ id: 'b3', duration: 8 }] },
  ],
};
const AUDIO = {
  level_db: -14,
  tracks: [
    { id: 'voice', level_db: -14.1 },
    { id: 'music', level_db: -24 },
    { id: 'sfx', gain: 1 },
  ],
};

const sectionReplace = (section_marker: string, new_section: string): Patch => ({
  type: 'section_replace',
  section_marker,
  new_section,
});
const durations = (...beat_adjustments: [string, number][]): Patch => ({
  type: 'duration_adjust',
  beat_adjustments: beat_adjustments.map(([beat_id, duration]) => ({ beat_id, duration })),
});

describe('applyToText', () => {
  it.each<[string, Patch, string]>([
    [
      'replaces every occurrence of a text',
      { type: 'text_replace', replacements: [{ old: 'Narrator:', new: 'Host:' }] },
      SCRIPT.replaceAll('Narrator:', 'Host:'),
    ],
    [
      'applies replacements in order, each on the result of the last',
      {
        type: 'text_replace',
        replacements: [
          { old: 'Hello.', new: 'Hi there.' },
          { old: 'Hi there.', new: 'Welcome.' },
        ],
      },
      SCRIPT.replace('Hello.', 'Welcome.'),
    ],
    [
      'replaces a section with its sub-headings up to the next heading of its level',
      sectionReplace('## Scene 1', '## Scene 1\nNarrator: Hi.\n'),
      SCRIPT.replace('## Scene 1\nNarrator: Hello.\n\n### Aside\nA note.', '## Scene 1\nNarrator: Hi.'),
    ],
    [
      'replaces the last section, keeping the final newline',
      sectionReplace('## Scene 10', '## Scene 10\nThe end.'),
      SCRIPT.replace('Narrator: Thanks for watching.', 'The end.'),
    ],
    [
      'tells "## Scene 1" apart from "## Scene 10" and ignores spaces around the marker',
      sectionReplace('  ## Scene 10 ', '## Scene 10\nBye.'),
      SCRIPT.replace('Narrator: Thanks for watching.', 'Bye.'),
    ],
    [
      'replaces a sub-section only up to the next heading',
      sectionReplace('### Aside', '### Aside\nAnother note.'),
      SCRIPT.replace('A note.', 'Another note.'),
    ],
    [
      'deletes a section when new_section is empty',
      sectionReplace('## Scene 2', ''),
      SCRIPT.replace('## Scene 2\nNarrator: Here is how it works.\n\n', ''),
    ],
  ])('%s', (_name, patch, expected) => {
    expect(applyToText(patch, SCRIPT)).toBe(expected);
  });

  it.each<[string, Patch, string, string]>([
    [
      'a text that is not there',
      { type: 'text_replace', replacements: [{ old: 'absent', new: 'x' }] },
      SCRIPT,
      'text "absent" not found',
    ],
    [
      'a later text that is gone after an earlier replacement',
      {
        type: 'text_replace',
        replacements: [
          { old: 'Hello.', new: 'Hi.' },
          { old: 'Hello.', new: 'Hey.' },
        ],
      },
      SCRIPT,
      'text "Hello." not found',
    ],
    [
      'a replacement that would grow the script past 10 million characters',
      { type: 'text_replace', replacements: [{ old: 'a', new: 'x'.repeat(100_000) }] },
      'a'.repeat(1000),
      'replacing "a" would grow the script past 10000000 characters',
    ],
    ['a section that is not there', sectionReplace('## Scene 9', 'x'), SCRIPT, 'section "## Scene 9" not found'],
    ['a marker that only prefixes a heading', sectionReplace('## Scene', 'x'), SCRIPT, 'section "## Scene" not found'],
    ['a JSON operation', { op: 'remove', path: '/a' }, SCRIPT, 'a JSON operation needs a JSON artifact'],
    ['a storyboard patch', durations(['b1', 1]), SCRIPT, 'duration_adjust needs a JSON artifact'],
  ])('refuses %s with a 400', (_name, patch, script, detail) => {
    expect(refusalOf(() => applyToText(patch, script))).toEqual({
      status: 400,
      detail: expect.stringContaining(`Patch does not apply: ${detail}`),
    });
  });
});

type Storyboard = typeof STORYBOARD;
/** The expected storyboard: a copy of STORYBOARD with `edit` done to it by hand. */
function storyboardAfter(edit: (board: Storyboard & { sections: any[] }) => void): Storyboard {
  const board = structuredClone(STORYBOARD);
  edit(board);
  return board;
}

describe('applyToJson', () => {
  it.each<[string, Patch, unknown, unknown]>([
    [
      'sets the duration of beats in any section',
      durations(['b2', 7.5], ['b3', 1]),
      STORYBOARD,
      storyboardAfter((board) => {
        board.sections[0].beats[1].duration = 7.5;
        board.sections[1].beats[0].duration = 1;
      }),
    ],
    [
      'sets every beat that shares the id',
      durations(['b1', 2]),
      { sections: [{ beats: [{ id: 'b1', duration: 4 }] }, { beats: [{ id: 'b1', duration: 5 }] }] },
      { sections: [{ beats: [{ id: 'b1', duration: 2 }] }, { beats: [{ id: 'b1', duration: 2 }] }] },
    ],
    [
      'finds beats with numeric ids',
      durations(['7', 2]),
      { sections: [{ beats: [{ id: 7, duration: 4 }] }] },
      { sections: [{ beats: [{ id: 7, duration: 2 }] }] },
    ],
    [
      'tolerates a bad duration the patch did not touch',
      durations(['b2', 3]),
      {
        sections: [
          {
            beats: [
              { id: 'b1', duration: 0 },
              { id: 'b2', duration: 4 },
            ],
          },
        ],
      },
      {
        sections: [
          {
            beats: [
              { id: 'b1', duration: 0 },
              { id: 'b2', duration: 3 },
            ],
          },
        ],
      },
    ],
    [
      'shifts the mix level and every track that has one, without float noise',
      { type: 'level_adjust', level_change_db: -3 },
      AUDIO,
      {
        level_db: -17,
        tracks: [
          { id: 'voice', level_db: -17.1 },
          { id: 'music', level_db: -27 },
          { id: 'sfx', gain: 1 },
        ],
      },
    ],
    [
      'replaces a value at a pointer',
      { op: 'replace', path: '/sections/0/beats/0/description', value: 'Logo' },
      STORYBOARD,
      storyboardAfter((board) => (board.sections[0].beats[0].description = 'Logo')),
    ],
    [
      'adds a key to an object',
      { op: 'add', path: '/sections/1/title', value: 'Two' },
      STORYBOARD,
      storyboardAfter((board) => (board.sections[1].title = 'Two')),
    ],
    [
      'inserts into an array',
      { op: 'add', path: '/sections/0/beats/0', value: { id: 'b0', duration: 1 } },
      STORYBOARD,
      storyboardAfter((board) => board.sections[0].beats.unshift({ id: 'b0', duration: 1 })),
    ],
    [
      'appends at "-"',
      { op: 'add', path: '/sections/1/beats/-', value: { id: 'b4', duration: 3 } },
      STORYBOARD,
      storyboardAfter((board) => board.sections[1].beats.push({ id: 'b4', duration: 3 })),
    ],
    [
      'appends at the index equal to the length',
      { op: 'add', path: '/sections/1/beats/1', value: { id: 'b4', duration: 3 } },
      STORYBOARD,
      storyboardAfter((board) => board.sections[1].beats.push({ id: 'b4', duration: 3 })),
    ],
    [
      'removes an array element',
      { op: 'remove', path: '/sections/0/beats/0' },
      STORYBOARD,
      storyboardAfter((board) => board.sections[0].beats.shift()),
    ],
    [
      'removes a key',
      { op: 'remove', path: '/sections/0/beats/0/description' },
      STORYBOARD,
      storyboardAfter((board) => delete board.sections[0].beats[0].description),
    ],
    [
      'unescapes ~1 and ~0 in a pointer',
      { op: 'replace', path: '/a~1b/~0c', value: 2 },
      { 'a/b': { '~c': 1 } },
      { 'a/b': { '~c': 2 } },
    ],
    [
      'adds null and nested values as given',
      { op: 'add', path: '/notes', value: [null, { deep: [1] }] },
      { topic: 't' },
      { topic: 't', notes: [null, { deep: [1] }] },
    ],
  ])('%s without changing its input', (_name, patch, document, expected) => {
    const before = structuredClone(document);
    expect(applyToJson(patch, document)).toEqual(expected);
    expect(document).toEqual(before);
  });

  it('keeps a "__proto__" key as plain data instead of reaching the prototype', () => {
    const document = JSON.parse('{"a": {}}');
    expect(refusalOf(() => applyToJson({ op: 'add', path: '/__proto__/polluted', value: 1 }, document))).toMatchObject({
      status: 400,
    });
    expect(
      refusalOf(() => applyToJson({ op: 'add', path: '/a/constructor/prototype/polluted', value: 1 }, document)),
    ).toMatchObject({ status: 400 });
    const result = applyToJson({ op: 'add', path: '/a/__proto__', value: { polluted: 1 } }, document) as { a: object };
    expect((result.a as { polluted?: number }).polluted).toBeUndefined();
    expect((Object.getPrototypeOf(result.a) as { polluted?: number }).polluted).toBeUndefined();
    expect(Object.hasOwn(result.a, '__proto__')).toBe(true);
    expect(JSON.stringify(result)).toBe('{"a":{"__proto__":{"polluted":1}}}');
  });

  it.each<[string, Patch, unknown, string]>([
    ['a beat that is not there', durations(['b1', 1], ['b9', 2]), STORYBOARD, 'beat "b9" not found'],
    ['a beat on a document without sections', durations(['b1', 1]), { beats: [{ id: 'b1' }] }, 'beat "b1" not found'],
    [
      'an audio file without a numeric level_db',
      { type: 'level_adjust', level_change_db: 1 },
      { level_db: '-14' },
      'audio.json has no numeric level_db',
    ],
    [
      'a text patch',
      { type: 'text_replace', replacements: [{ old: 'a', new: 'b' }] },
      STORYBOARD,
      'text_replace needs script.md',
    ],
    [
      'a replace of a missing key',
      { op: 'replace', path: '/sections/0/name', value: 'x' },
      STORYBOARD,
      'path /sections/0/name not found',
    ],
    ['a remove of a missing key', { op: 'remove', path: '/nothing' }, STORYBOARD, 'path /nothing not found'],
    [
      'a replace beyond the array',
      { op: 'replace', path: '/sections/5/id', value: 1 },
      STORYBOARD,
      'path /sections/5/id not found',
    ],
    ['a remove at "-"', { op: 'remove', path: '/sections/-' }, STORYBOARD, 'path /sections/- not found'],
    [
      'an add past the end of an array',
      { op: 'add', path: '/sections/3', value: {} },
      STORYBOARD,
      'path /sections/3 not found',
    ],
    [
      'an index with a leading zero',
      { op: 'replace', path: '/sections/01', value: {} },
      STORYBOARD,
      'path /sections/01 not found',
    ],
    [
      'a path through a number',
      { op: 'add', path: '/sections/0/beats/0/duration/x', value: 1 },
      STORYBOARD,
      'path /sections/0/beats/0/duration/x not found',
    ],
    ['a key on an array', { op: 'add', path: '/sections/name', value: 1 }, STORYBOARD, 'path /sections/name not found'],
    [
      'an operation making a duration negative',
      { op: 'replace', path: '/sections/0/beats/1/duration', value: -1 },
      STORYBOARD,
      'beat "b2" would have duration -1',
    ],
    [
      'an operation making a duration a string',
      { op: 'replace', path: '/sections/0/beats/1/duration', value: '6' },
      STORYBOARD,
      'beat "b2" would have duration "6"',
    ],
    [
      'an operation removing a duration',
      { op: 'remove', path: '/sections/1/beats/0/duration' },
      STORYBOARD,
      'beat "b3" would have no duration',
    ],
    [
      'an operation adding a beat without a duration',
      { op: 'add', path: '/sections/1/beats/-', value: { id: 'b4' } },
      STORYBOARD,
      'beat "b4" would have no duration',
    ],
    [
      'an operation replacing a section with a bad beat',
      { op: 'replace', path: '/sections/1', value: { beats: [{ duration: 4000 }] } },
      STORYBOARD,
      'beat "/sections/1/beats/0" would have duration 4000',
    ],
  ])('refuses %s with a 400', (_name, patch, document, detail) => {
    expect(refusalOf(() => applyToJson(patch, document))).toEqual({
      status: 400,
      detail: expect.stringContaining(`Patch does not apply: ${detail}`),
    });
  });
});

describe('applyToText on hostile input', () => {
  it('replaces a section with a long run of newlines in linear time', () => {
    const started = Date.now();
    const result = applyToText(sectionReplace('## Scene 2', '## Scene 2' + '\n'.repeat(99_000) + 'x'), SCRIPT);
    expect(result).toContain('\nx\n\n## Scene 10');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
