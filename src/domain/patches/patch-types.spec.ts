import { STAGES } from '../stages';
import { applyToJson, applyToText } from './apply-patch';
import { PATCH_TYPES } from './patch-types';
import { parsePatch } from './validate-patch';

/** What the simulate runner writes, enough for each example to apply to. */
const SAMPLES: Record<string, unknown> = {
  'script.md':
    '# Script: demo\n\n## Scene 1\nHi.\n\n## Scene 2\nMiddle.\n\n## Scene 3\nNarrator: Thanks for watching.\n',
  'storyboard.json': { sections: [{ id: 's1', beats: [{ id: 'b1', duration: 4 }] }] },
  'audio.json': { level_db: -14, tracks: [{ id: 'voice', level_db: -14 }] },
};

describe('PATCH_TYPES', () => {
  it('lists the five patch types in a stable order', () => {
    expect(PATCH_TYPES.map((entry) => entry.type)).toEqual([
      'text_replace',
      'section_replace',
      'duration_adjust',
      'level_adjust',
      'json_patch',
    ]);
  });

  it.each(PATCH_TYPES.map((entry) => [entry.type, entry] as const))(
    'describes %s with its stages, a file for each stage and an example valid at each stage',
    (_type, entry) => {
      expect(entry.description.length).toBeGreaterThan(20);
      expect(entry.stages.length).toBeGreaterThan(0);
      expect(Object.keys(entry.files).sort()).toEqual([...entry.stages].sort());
      for (const stage of entry.stages) expect(() => parsePatch(entry.example, stage)).not.toThrow();
      for (const stage of STAGES.filter((s) => !entry.stages.includes(s))) {
        expect(() => parsePatch(entry.example, stage)).toThrow(`applies to ${entry.stages.join(', ')}`);
      }
    },
  );

  it.each(PATCH_TYPES.map((entry) => [entry.type, entry] as const))(
    'has an example of %s that applies to what the simulate runner writes',
    (_type, entry) => {
      const stage = entry.stages.find((s) => (entry.files[s] as string) in SAMPLES);
      if (stage === undefined) throw new Error(`no sample artifact for ${entry.type}`);
      const file = entry.files[stage] as string;
      const patch = parsePatch(entry.example, stage);
      const sample = SAMPLES[file];
      const result = typeof sample === 'string' ? applyToText(patch, sample) : applyToJson(patch, sample);
      expect(result).not.toEqual(sample);
    },
  );
});
