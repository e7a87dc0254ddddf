import { InvalidInputError } from '../errors';
import { Stage } from '../stages';

export interface TextReplacePatch {
  type: 'text_replace';
  replacements: { old: string; new: string }[];
}
export interface SectionReplacePatch {
  type: 'section_replace';
  section_marker: string;
  new_section: string;
}
export interface DurationAdjustPatch {
  type: 'duration_adjust';
  beat_adjustments: { beat_id: string; duration: number }[];
}
export interface LevelAdjustPatch {
  type: 'level_adjust';
  level_change_db: number;
}
/** One RFC 6902-style operation on a stage's JSON artifact; it carries no `type`. */
export interface JsonPatch {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}
export type Patch = TextReplacePatch | SectionReplacePatch | DurationAdjustPatch | LevelAdjustPatch | JsonPatch;

export const PATCH_TYPES_IN_ORDER = [
  'text_replace',
  'section_replace',
  'duration_adjust',
  'level_adjust',
  'json_patch',
] as const;
export type PatchType = (typeof PATCH_TYPES_IN_ORDER)[number];

export interface PatchTarget {
  stages: readonly Stage[];
  /** The artifact, relative to the job's artifacts dir, that the patch rewrites at each stage. */
  files: Partial<Record<Stage, string>>;
}

/** Which stage's artifact each patch acts on (docs/OPERATIONS.md, "Gates and patches"). */
export const PATCH_TARGETS: Record<PatchType, PatchTarget> = {
  text_replace: { stages: ['script'], files: { script: 'script.md' } },
  section_replace: { stages: ['script'], files: { script: 'script.md' } },
  duration_adjust: { stages: ['storyboard'], files: { storyboard: 'storyboard.json' } },
  level_adjust: { stages: ['audio'], files: { audio: 'audio.json' } },
  json_patch: {
    stages: ['research', 'storyboard', 'animatics', 'audio', 'acceptance'],
    files: {
      research: 'research.json',
      storyboard: 'storyboard.json',
      animatics: 'animatics.json',
      audio: 'audio.json',
      acceptance: 'acceptance.json',
    },
  },
};

export const MAX_BEAT_SECONDS = 3600;
export const MAX_LEVEL_CHANGE_DB = 60;
const MAX_TEXT = 100_000;
const MAX_ITEMS = 1000;
const MAX_POINTER = 1000;

function bad(detail: string): never {
  throw new InvalidInputError(`Invalid patch: ${detail}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isValidBeatDuration(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= MAX_BEAT_SECONDS;
}

function text(value: unknown, field: string, allowEmpty: boolean): string {
  if (typeof value !== 'string') bad(`${field} must be a string`);
  if (!allowEmpty && value.length === 0) bad(`${field} must not be empty`);
  if (value.length > MAX_TEXT) bad(`${field} is longer than ${MAX_TEXT} characters`);
  return value;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) bad(`${field} must be a number`);
  return value;
}

function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value) || value.length === 0) bad(`${field} must be a non-empty array`);
  if (value.length > MAX_ITEMS) bad(`${field} has more than ${MAX_ITEMS} entries`);
  return value;
}

export function patchKind(patch: Patch): PatchType {
  return 'type' in patch ? patch.type : 'json_patch';
}

/** The artifact a (valid) patch rewrites at this stage, relative to the artifacts dir. */
export function patchTarget(patch: Patch, stage: Stage): string {
  const file = PATCH_TARGETS[patchKind(patch)].files[stage];
  if (file === undefined) return bad(`${patchKind(patch)} does not apply to ${stage}`);
  return file;
}

/** Validates a patch for a stage, returning a clean copy (unknown fields dropped). A 400 names the problem. */
export function parsePatch(raw: unknown, stage: Stage): Patch {
  if (!isObject(raw)) bad('a patch must be a JSON object');
  // {"type":"json_patch", op, path, value} is accepted too: GET /patches/types lists it under that name.
  const isOperation = raw.type === 'json_patch' || (!('type' in raw) && 'op' in raw);
  if (!isOperation && !('type' in raw)) bad('a patch needs a "type" (or "op", "path" and "value")');
  const patch = isOperation ? parseJsonPatch(raw) : parseTyped(raw);
  const kind = patchKind(patch);
  const { stages } = PATCH_TARGETS[kind];
  if (!stages.includes(stage)) bad(`${kind} applies to ${stages.join(', ')}, not to ${stage}`);
  return patch;
}

function parseTyped(raw: Record<string, unknown>): Patch {
  switch (raw.type) {
    case 'text_replace':
      return {
        type: 'text_replace',
        replacements: list(raw.replacements, 'replacements').map((item, i) => {
          if (!isObject(item)) bad(`replacements[${i}] must be an object {old, new}`);
          return {
            old: text(item.old, `replacements[${i}].old`, false),
            new: text(item.new, `replacements[${i}].new`, true),
          };
        }),
      };
    case 'section_replace':
      return {
        type: 'section_replace',
        section_marker: text(raw.section_marker, 'section_marker', false),
        new_section: text(raw.new_section, 'new_section', true),
      };
    case 'duration_adjust':
      return {
        type: 'duration_adjust',
        beat_adjustments: list(raw.beat_adjustments, 'beat_adjustments').map((item, i) => {
          if (!isObject(item)) bad(`beat_adjustments[${i}] must be an object {beat_id, duration}`);
          const beatId = typeof item.beat_id === 'number' ? String(item.beat_id) : item.beat_id;
          const duration = finite(item.duration, `beat_adjustments[${i}].duration`);
          if (!isValidBeatDuration(duration)) {
            bad(`beat_adjustments[${i}].duration must be more than 0 and at most ${MAX_BEAT_SECONDS} seconds`);
          }
          return { beat_id: text(beatId, `beat_adjustments[${i}].beat_id`, false), duration };
        }),
      };
    case 'level_adjust': {
      const change = finite(raw.level_change_db, 'level_change_db');
      if (Math.abs(change) > MAX_LEVEL_CHANGE_DB) {
        bad(`level_change_db must be between -${MAX_LEVEL_CHANGE_DB} and ${MAX_LEVEL_CHANGE_DB}`);
      }
      return { type: 'level_adjust', level_change_db: change };
    }
    default: {
      const known = PATCH_TYPES_IN_ORDER.join(', ');
      if (typeof raw.type !== 'string') return bad(`type must be a string, one of ${known}`);
      return bad(`unknown patch type ${JSON.stringify(raw.type.slice(0, 40))} (one of ${known})`);
    }
  }
}

/** RFC 6901 tokens, each "/"-prefixed, "~" only as "~0" or "~1"; "" (the whole document) is not a target. */
const JSON_POINTER = /^(\/([^~/]|~[01])*)+$/;

function parseJsonPatch(raw: Record<string, unknown>): JsonPatch {
  const { op, path } = raw;
  if (op !== 'add' && op !== 'replace' && op !== 'remove') bad('op must be add, replace or remove');
  if (typeof path !== 'string') bad('path must be a string (a JSON pointer such as /sections/0/beats/1/duration)');
  if (path.length > MAX_POINTER) bad(`path is longer than ${MAX_POINTER} characters`);
  if (!JSON_POINTER.test(path)) {
    bad(`path ${JSON.stringify(path.slice(0, 60))} must be a JSON pointer such as /sections/0/beats/1/duration`);
  }
  if (op === 'remove') return { op, path };
  if (!('value' in raw)) bad(`op ${op} needs a value`);
  return { op, path, value: raw.value };
}
