import { BadRequestException } from '@nestjs/common';
import { Stage } from '../../common/stages';

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
/** RFC 6902-style operation on a stage's JSON artifact. */
export interface JsonPatch {
  op: 'add' | 'replace' | 'remove';
  path: string;
  value?: unknown;
}
export type Patch = TextReplacePatch | SectionReplacePatch | DurationAdjustPatch | LevelAdjustPatch | JsonPatch;

/** Which stage's artifact each patch acts on (SPEC §8). */
export const PATCH_TARGETS: Record<string, { stages: Stage[]; file: Partial<Record<Stage, string>> }> = {
  text_replace: { stages: ['script'], file: { script: 'script.md' } },
  section_replace: { stages: ['script'], file: { script: 'script.md' } },
  duration_adjust: { stages: ['storyboard'], file: { storyboard: 'storyboard.json' } },
  level_adjust: { stages: ['audio'], file: { audio: 'audio.json' } },
  json_patch: {
    stages: ['research', 'storyboard', 'animatics', 'audio', 'acceptance'],
    file: {
      research: 'research.json',
      storyboard: 'storyboard.json',
      animatics: 'animatics.json',
      audio: 'audio.json',
      acceptance: 'acceptance.json',
    },
  },
};

const MAX_TEXT = 100_000;

function bad(detail: string): never {
  throw new BadRequestException(`Invalid patch: ${detail}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

export function patchKind(patch: Patch): string {
  return 'type' in patch ? patch.type : 'json_patch';
}

/** Validates a patch for a stage, returning a clean copy (unknown fields dropped). 400 names the problem. */
export function parsePatch(raw: unknown, stage: Stage): Patch {
  if (!isObject(raw)) bad('a patch must be a JSON object');
  const patch =
    'type' in raw
      ? parseTyped(raw)
      : 'op' in raw
        ? parseJsonPatch(raw)
        : bad('a patch needs a "type" (or "op" and "path")');
  const target = PATCH_TARGETS[patchKind(patch)];
  if (!target.stages.includes(stage)) {
    bad(`${patchKind(patch)} applies to ${target.stages.join(', ')}, not to ${stage}`);
  }
  return patch;
}

function parseTyped(raw: Record<string, unknown>): Patch {
  switch (raw.type) {
    case 'text_replace': {
      if (!Array.isArray(raw.replacements) || raw.replacements.length === 0)
        bad('replacements must be a non-empty array');
      const replacements = raw.replacements.map((item, i) => {
        if (!isObject(item)) bad(`replacements[${i}] must be an object {old, new}`);
        return {
          old: text(item.old, `replacements[${i}].old`, false),
          new: text(item.new, `replacements[${i}].new`, true),
        };
      });
      return { type: 'text_replace', replacements };
    }
    case 'section_replace':
      return {
        type: 'section_replace',
        section_marker: text(raw.section_marker, 'section_marker', false),
        new_section: text(raw.new_section, 'new_section', true),
      };
    case 'duration_adjust': {
      if (!Array.isArray(raw.beat_adjustments) || raw.beat_adjustments.length === 0)
        bad('beat_adjustments must be a non-empty array');
      const beat_adjustments = raw.beat_adjustments.map((item, i) => {
        if (!isObject(item)) bad(`beat_adjustments[${i}] must be an object {beat_id, duration}`);
        const duration = finite(item.duration, `beat_adjustments[${i}].duration`);
        if (duration <= 0 || duration > 3600)
          bad(`beat_adjustments[${i}].duration must be more than 0 and at most 3600 seconds`);
        const beatId =
          typeof item.beat_id === 'number'
            ? String(item.beat_id)
            : text(item.beat_id, `beat_adjustments[${i}].beat_id`, false);
        return { beat_id: beatId, duration };
      });
      return { type: 'duration_adjust', beat_adjustments };
    }
    case 'level_adjust': {
      const change = finite(raw.level_change_db, 'level_change_db');
      if (Math.abs(change) > 60) bad('level_change_db must be between -60 and 60');
      return { type: 'level_adjust', level_change_db: change };
    }
    default:
      return bad(
        `unknown patch type ${JSON.stringify(raw.type)?.slice(0, 40)} (one of ${Object.keys(PATCH_TARGETS)
          .filter((k) => k !== 'json_patch')
          .join(', ')}, or {op, path, value})`,
      );
  }
}

function parseJsonPatch(raw: Record<string, unknown>): JsonPatch {
  if (raw.op !== 'add' && raw.op !== 'replace' && raw.op !== 'remove') bad('op must be add, replace or remove');
  if (typeof raw.path !== 'string' || !/^(\/([^~/]|~[01])*)+$/.test(raw.path))
    bad('path must be a JSON pointer such as /sections/0/beats/1/duration');
  if (raw.op !== 'remove' && !('value' in raw)) bad(`${raw.op} needs a value`);
  return raw.op === 'remove' ? { op: 'remove', path: raw.path } : { op: raw.op, path: raw.path, value: raw.value };
}
