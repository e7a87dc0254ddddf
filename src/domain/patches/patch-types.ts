import { Stage } from '../stages';
import {
  MAX_BEAT_SECONDS,
  MAX_LEVEL_CHANGE_DB,
  PATCH_TARGETS,
  PATCH_TYPES_IN_ORDER,
  PatchType,
} from './validate-patch';

export interface PatchTypeEntry {
  type: PatchType;
  description: string;
  /** A patch that validates and applies to the artifact the simulate runner writes. */
  example: Record<string, unknown>;
  stages: readonly Stage[];
  /** Stage → the artifact (relative to the artifacts dir) the patch rewrites there. */
  files: Partial<Record<Stage, string>>;
}

const ABOUT: Record<PatchType, Pick<PatchTypeEntry, 'description' | 'example'>> = {
  text_replace: {
    description: 'Replaces every occurrence of each `old` text (in order) with `new` in the script.',
    example: { type: 'text_replace', replacements: [{ old: 'Thanks for watching.', new: 'See you next time.' }] },
  },
  section_replace: {
    description:
      'Replaces the section from the marker line up to the next heading of its level, marker line included ' +
      '(start new_section with the marker to keep the heading; an empty new_section deletes the section).',
    example: {
      type: 'section_replace',
      section_marker: '## Scene 2',
      new_section: '## Scene 2\nNarrator: A shorter middle.',
    },
  },
  duration_adjust: {
    description: `Sets the duration (seconds, > 0, ≤ ${MAX_BEAT_SECONDS}) of each listed beat, looked up by id in every section.`,
    example: { type: 'duration_adjust', beat_adjustments: [{ beat_id: 'b1', duration: 5.5 }] },
  },
  level_adjust: {
    description: `Adds level_change_db (−${MAX_LEVEL_CHANGE_DB}…${MAX_LEVEL_CHANGE_DB}) to the mix level_db and to each track's level_db.`,
    example: { type: 'level_adjust', level_change_db: -3 },
  },
  json_patch: {
    description:
      "One RFC 6902-style operation {op: add | replace | remove, path: a JSON pointer, value} on the stage's " +
      'JSON artifact ("type": "json_patch" may be given or left out).',
    example: { op: 'replace', path: '/sections/0/beats/0/duration', value: 5 },
  },
};

/** GET /patches/types: what can be patched, at which stages, in which file, with an example of each. */
export const PATCH_TYPES: readonly PatchTypeEntry[] = PATCH_TYPES_IN_ORDER.map((type) => ({
  type,
  ...ABOUT[type],
  stages: PATCH_TARGETS[type].stages,
  files: PATCH_TARGETS[type].files,
}));
