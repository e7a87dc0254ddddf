import { BadRequestException } from '@nestjs/common';
import { STAGES, Stage, isStage } from '../domain/stages';
import { clip } from '../common/text';
import { EVENT_TYPES, EventType, isEventType } from '../domain/events';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export type Cursor = { kind: 'id'; id: number; raw: string } | { kind: 'time'; ts: string; raw: string };

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** `since`: an event id (digits) or an ISO 8601 timestamp; absent means "no cursor". */
export function parseCursor(raw: unknown, name = 'since'): Cursor | null {
  if (raw === undefined || raw === '') return null;
  if (typeof raw !== 'string') throw new BadRequestException(`${name} must be given once`);
  if (/^\d+$/.test(raw)) {
    const id = Number(raw);
    if (!Number.isSafeInteger(id)) throw new BadRequestException(`${name} is too large: "${clip(raw)}"`);
    return { kind: 'id', id, raw };
  }
  if (ISO_8601.test(raw)) {
    // A timestamp without a zone is UTC, as every stored ts is.
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(raw) || !raw.includes(':');
    const millis = Date.parse(hasZone ? raw : `${raw}Z`);
    if (!Number.isNaN(millis)) return { kind: 'time', ts: new Date(millis).toISOString(), raw };
  }
  throw new BadRequestException(`${name} must be an event id (digits) or an ISO 8601 timestamp, got "${clip(raw)}"`);
}

/** An SSE resume cursor: an event id only (Last-Event-ID, last_event_id). */
export function parseEventId(raw: unknown, name: string): number | null {
  if (raw === undefined || raw === '') return null;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new BadRequestException(`${name} must be an event id (digits), got "${clip(String(raw))}"`);
  }
  return Number(raw);
}

export function parseLimit(raw: unknown): number {
  if (raw === undefined || raw === '') return DEFAULT_LIMIT;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < 1 || value > MAX_LIMIT) {
    throw new BadRequestException(`limit must be an integer from 1 to ${MAX_LIMIT}, got "${clip(String(raw))}"`);
  }
  return value;
}

export function parseTypes(raw: unknown): EventType[] | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new BadRequestException('types must be given once, as a comma-separated list');
  const types = raw
    .split(',')
    .map((type) => type.trim())
    .filter((type) => type.length > 0);
  const unknown = types.find((type) => !isEventType(type));
  if (unknown !== undefined) {
    throw new BadRequestException(`types: "${clip(unknown)}" is not an event type (one of ${EVENT_TYPES.join(', ')})`);
  }
  return types as EventType[];
}

export function parseStage(raw: unknown): Stage | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!isStage(raw))
    throw new BadRequestException(`stage must be one of ${STAGES.join(', ')}, got "${clip(String(raw))}"`);
  return raw;
}
