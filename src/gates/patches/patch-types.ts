import { PATCH_TARGETS } from './validate-patch';

/** GET /patches/types: what can be patched, where, with an example of each. */
export const PATCH_TYPES = [
  {
    type: 'text_replace',
    description: 'Replaces every occurrence of each `old` text with `new` in the script.',
    example: { type: 'text_replace', replacements: [{ old: 'Thanks for watching.', new: 'See you next time.' }] },
  },
  {
    type: 'section_replace',
    description: 'Replaces the section that starts at the marker line (up to the next heading of its level).',
    example: {
      type: 'section_replace',
      section_marker: '## Scene 2',
      new_section: '## Scene 2\nNarrator: A shorter middle.',
    },
  },
  {
    type: 'duration_adjust',
    description: "Sets each listed beat's duration (seconds, > 0, ≤ 3600) in the storyboard.",
    example: { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: 5.5 }] },
  },
  {
    type: 'level_adjust',
    description: 'Adds level_change_db (−60…60) to the mix level and to every track level.',
    example: { type: 'level_adjust', level_change_db: -3 },
  },
  {
    type: 'json_patch',
    description: "One RFC 6902-style operation (add, replace, remove) at a JSON pointer of the stage's JSON artifact.",
    example: { op: 'replace', path: '/sections/0/beats/0/duration', value: 5 },
  },
].map((entry) => ({
  ...entry,
  stages: PATCH_TARGETS[entry.type].stages,
  files: PATCH_TARGETS[entry.type].file,
}));
