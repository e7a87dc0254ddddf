import { InvalidInputError } from '../errors';
import { applyOperationInPlace } from './json-pointer';
import { MAX_BEAT_SECONDS, Patch, isValidBeatDuration } from './validate-patch';

/** A text patch may not grow the script past this (one short `old` with a long `new` multiplies). */
const MAX_RESULT_CHARS = 10_000_000;

function cannot(detail: string): never {
  throw new InvalidInputError(`Patch does not apply: ${detail}`);
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A text patch applied to script.md's content; strings are immutable, so the input cannot change. */
export function applyToText(patch: Patch, content: string): string {
  if (!('type' in patch)) return cannot('a JSON operation needs a JSON artifact, not script.md');
  if (patch.type === 'text_replace') return replaceTexts(patch.replacements, content);
  if (patch.type === 'section_replace') return replaceSection(patch.section_marker, patch.new_section, content);
  return cannot(`${patch.type} needs a JSON artifact, not script.md`);
}

/** Each `old` is replaced everywhere, in order; a later replacement sees the earlier ones' result. */
function replaceTexts(replacements: { old: string; new: string }[], content: string): string {
  return replacements.reduce((text, { old, new: replacement }) => {
    const parts = text.split(old);
    if (parts.length === 1) cannot(`text ${quote(old)} not found`);
    const length = text.length + (parts.length - 1) * (replacement.length - old.length);
    if (length > MAX_RESULT_CHARS)
      cannot(`replacing ${quote(old)} would grow the script past ${MAX_RESULT_CHARS} characters`);
    return parts.join(replacement);
  }, content);
}

/**
 * The section runs from the marker line (matched whole, ignoring surrounding spaces) to the next heading of
 * the same or a higher level, or to any heading when the marker is not one. The marker line is replaced too;
 * the blank lines that separated the section from the next one are kept, so the rest of the file is untouched.
 */
function replaceSection(marker: string, newSection: string, content: string): string {
  const lines = content.split('\n');
  const start = lines.findIndex((line) => line.trim() === marker.trim());
  if (start < 0) cannot(`section ${quote(marker)} not found`);
  const level = headingLevel(lines[start]);
  let end = start + 1;
  while (end < lines.length && !endsSection(lines[end], level)) end++;
  const body = trimTrailingNewlines(newSection);
  let separator = end;
  while (body !== '' && separator > start + 1 && lines[separator - 1].trim() === '') separator--;
  const replacement = body === '' ? [] : body.split('\n');
  return [...lines.slice(0, start), ...replacement, ...lines.slice(separator)].join('\n');
}

/** A loop, not /\n+$/: that regex is quadratic on a long run of newlines followed by text. */
function trimTrailingNewlines(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '\n') end--;
  return text.slice(0, end);
}

function headingLevel(line: string): number | undefined {
  return /^(#+)\s/.exec(line)?.[1].length;
}

function endsSection(line: string, level: number | undefined): boolean {
  const next = headingLevel(line);
  return next !== undefined && (level === undefined || next <= level);
}

/** A patch applied to a copy of a JSON artifact's parsed content; the input is never changed. */
export function applyToJson(patch: Patch, document: unknown): unknown {
  if ('type' in patch && (patch.type === 'text_replace' || patch.type === 'section_replace')) {
    return cannot(`${patch.type} needs script.md, not a JSON artifact`);
  }
  const copy: unknown = structuredClone(document);
  if (!('type' in patch)) {
    applyOperationInPlace(patch, copy);
    assertBeatDurations(document, copy);
  } else if (patch.type === 'duration_adjust') {
    const beats = beatsById(copy);
    for (const { beat_id: beatId, duration } of patch.beat_adjustments) {
      const matching = beats.get(beatId) ?? cannot(`beat ${quote(beatId)} not found in any section's beats`);
      for (const beat of matching) beat.duration = duration;
    }
    assertBeatDurations(document, copy);
  } else {
    if (!isRecord(copy) || typeof copy.level_db !== 'number') return cannot('audio.json has no numeric level_db');
    copy.level_db = roundDb(copy.level_db + patch.level_change_db);
    for (const track of Array.isArray(copy.tracks) ? copy.tracks : []) {
      if (isRecord(track) && typeof track.level_db === 'number') {
        track.level_db = roundDb(track.level_db + patch.level_change_db);
      }
    }
  }
  return copy;
}

/** Float noise such as -17.000000000000004 would otherwise end up in audio.json. */
function roundDb(value: number): number {
  return Math.round(value * 1000) / 1000;
}

interface BeatRef {
  beat: Record<string, any>;
  /** The beat's id, or its position when it has none. */
  key: string;
  hasId: boolean;
}

/** Every beat object under sections[].beats[]. */
function beats(document: unknown): BeatRef[] {
  const found: BeatRef[] = [];
  const sections: unknown[] = isRecord(document) && Array.isArray(document.sections) ? document.sections : [];
  sections.forEach((section, s) => {
    const sectionBeats: unknown[] = isRecord(section) && Array.isArray(section.beats) ? section.beats : [];
    sectionBeats.forEach((beat, b) => {
      if (!isRecord(beat)) return;
      const hasId = typeof beat.id === 'string' || typeof beat.id === 'number';
      found.push({ beat, hasId, key: hasId ? String(beat.id) : `/sections/${s}/beats/${b}` });
    });
  });
  return found;
}

/** Beat ids need not be unique across sections; a duration_adjust sets every beat with that id. */
function beatsById(document: unknown): Map<string, Record<string, any>[]> {
  const byId = new Map<string, Record<string, any>[]>();
  for (const { key, beat, hasId } of beats(document)) {
    if (hasId) byId.set(key, [...(byId.get(key) ?? []), beat]);
  }
  return byId;
}

/** A patch may not leave a beat without a valid duration; a bad one it did not touch is not its fault. */
function assertBeatDurations(before: unknown, after: unknown): void {
  const previous = new Map(beats(before).map(({ key, beat }) => [key, beat.duration]));
  for (const { key, beat } of beats(after)) {
    if (isValidBeatDuration(beat.duration)) continue;
    if (previous.has(key) && Object.is(previous.get(key), beat.duration)) continue;
    const shown = beat.duration === undefined ? 'no duration' : `duration ${JSON.stringify(beat.duration)}`;
    cannot(`beat ${quote(key)} would have ${shown} (it must be more than 0 and at most ${MAX_BEAT_SECONDS} seconds)`);
  }
}

/**
 * The artifact's new content after the patch (pure: the caller reads and writes the file). A patch
 * that does not apply throws InvalidInputError and the caller leaves the file as it was.
 */
export function applyPatchToContent(patch: Patch, file: string, content: string): string {
  if (!file.endsWith('.json')) return applyToText(patch, content);
  let document: unknown;
  try {
    document = JSON.parse(content);
  } catch {
    return cannot(`${file} is not valid JSON`);
  }
  return JSON.stringify(applyToJson(patch, document), null, 2) + '\n';
}
