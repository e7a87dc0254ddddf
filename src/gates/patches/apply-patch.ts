import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { writeFileAtomic } from '../../common/atomic-write';
import { Stage } from '../../common/stages';
import { JsonPatch, PATCH_TARGETS, Patch, parsePatch, patchKind } from './validate-patch';

function cannot(detail: string): never {
  throw new BadRequestException(`Patch does not apply: ${detail}`);
}

/** A text patch applied to script.md's content; the input is never changed. */
export function applyToText(patch: Patch, content: string): string {
  if (!('type' in patch)) return cannot('a JSON operation needs a JSON artifact');
  if (patch.type === 'text_replace') {
    return patch.replacements.reduce((text, { old, new: replacement }) => {
      if (!text.includes(old)) cannot(`text ${JSON.stringify(old.slice(0, 60))} not found`);
      return text.split(old).join(replacement);
    }, content);
  }
  if (patch.type === 'section_replace') {
    const lines = content.split('\n');
    const start = lines.findIndex((line) => line.trim() === patch.section_marker.trim());
    if (start < 0) cannot(`section ${JSON.stringify(patch.section_marker.slice(0, 60))} not found`);
    const level = /^(#+)\s/.exec(lines[start])?.[1].length;
    let end = start + 1;
    while (end < lines.length && !isSectionStart(lines[end], level)) end++;
    const replacement = patch.new_section.replace(/\n+$/, '').split('\n');
    return [...lines.slice(0, start), ...replacement, ...(end < lines.length ? [''] : []), ...lines.slice(end)]
      .join('\n')
      .replace(/\n{3,}/g, '\n\n');
  }
  return cannot(`${patch.type} needs a JSON artifact`);
}

/** The next heading of the same or a higher level ends a section (or the next line equal to a marker style). */
function isSectionStart(line: string, level: number | undefined): boolean {
  const heading = /^(#+)\s/.exec(line);
  return heading !== null && (level === undefined || heading[1].length <= level);
}

/** A patch applied to a JSON artifact's parsed content; the input is never changed. */
export function applyToJson(patch: Patch, document: unknown): unknown {
  const copy = structuredClone(document) as Record<string, any>;
  if (!('type' in patch)) return applyOperation(patch, copy);
  if (patch.type === 'duration_adjust') {
    const beats = new Map<string, Record<string, unknown>>();
    for (const section of Array.isArray(copy.sections) ? copy.sections : []) {
      for (const beat of Array.isArray(section?.beats) ? section.beats : []) beats.set(String(beat.id), beat);
    }
    for (const { beat_id: beatId, duration } of patch.beat_adjustments) {
      const beat = beats.get(beatId) ?? cannot(`beat ${JSON.stringify(beatId)} not found in storyboard.json`);
      beat.duration = duration;
    }
    return copy;
  }
  if (patch.type === 'level_adjust') {
    if (typeof copy.level_db !== 'number') cannot('audio.json has no numeric level_db');
    copy.level_db = round(copy.level_db + patch.level_change_db);
    for (const track of Array.isArray(copy.tracks) ? copy.tracks : []) {
      if (typeof track?.level_db === 'number') track.level_db = round(track.level_db + patch.level_change_db);
    }
    return copy;
  }
  return cannot(`${patch.type} needs script.md`);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function applyOperation(operation: JsonPatch, document: Record<string, any>): unknown {
  const keys = operation.path
    .split('/')
    .slice(1)
    .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = keys.pop() as string;
  let parent: any = document;
  for (const key of keys) {
    if (typeof parent !== 'object' || parent === null || !(key in parent)) cannot(`path ${operation.path} not found`);
    parent = parent[key];
  }
  if (typeof parent !== 'object' || parent === null) cannot(`path ${operation.path} not found`);
  if (Array.isArray(parent)) {
    const index = last === '-' && operation.op === 'add' ? parent.length : Number(last);
    const limit = operation.op === 'add' ? parent.length : parent.length - 1;
    if (!Number.isInteger(index) || index < 0 || index > limit) cannot(`path ${operation.path} not found`);
    if (operation.op === 'add') parent.splice(index, 0, operation.value);
    else if (operation.op === 'replace') parent[index] = operation.value;
    else parent.splice(index, 1);
    return document;
  }
  if (operation.op !== 'add' && !(last in parent)) cannot(`path ${operation.path} not found`);
  if (operation.op === 'remove') delete parent[last];
  else parent[last] = operation.value;
  return document;
}

/**
 * Validates the patch, reads the stage's artifact, computes the new content in memory and only then
 * replaces the file atomically: a malformed or non-applicable patch changes nothing on disk.
 */
export function applyPatchToArtifacts(
  artifactsDir: string,
  stage: Stage,
  raw: unknown,
): { file: string; patch: Patch } {
  const patch = parsePatch(raw, stage);
  const file = PATCH_TARGETS[patchKind(patch)].file[stage] as string;
  const path = join(artifactsDir, file);
  if (!existsSync(path)) throw new NotFoundException(`No ${file} to patch yet: the ${stage} stage has not produced it`);
  const content = readFileSync(path, 'utf8');
  let next: string;
  if (file.endsWith('.json')) {
    let document: unknown;
    try {
      document = JSON.parse(content);
    } catch {
      return cannot(`${file} is not valid JSON`);
    }
    next = JSON.stringify(applyToJson(patch, document), null, 2) + '\n';
  } else {
    next = applyToText(patch, content);
  }
  writeFileAtomic(path, next);
  return { file, patch };
}
