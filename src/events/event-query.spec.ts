import { BadRequestException } from '@nestjs/common';
import { parseCursor, parseEventId, parseLimit, parseStage, parseTypes } from './event-query';

describe('parseCursor', () => {
  it.each([
    [undefined, null],
    ['', null],
    ['0', { kind: 'id', id: 0, raw: '0' }],
    ['42', { kind: 'id', id: 42, raw: '42' }],
    ['2026-11-22T10:00:00Z', { kind: 'time', ts: '2026-11-22T10:00:00.000Z', raw: '2026-11-22T10:00:00Z' }],
    [
      '2026-11-22T10:00:00.123+02:00',
      { kind: 'time', ts: '2026-11-22T08:00:00.123Z', raw: '2026-11-22T10:00:00.123+02:00' },
    ],
    ['2026-11-22T10:00:00', { kind: 'time', ts: '2026-11-22T10:00:00.000Z', raw: '2026-11-22T10:00:00' }],
    ['2026-11-22', { kind: 'time', ts: '2026-11-22T00:00:00.000Z', raw: '2026-11-22' }],
  ])('reads %j as %j', (raw, expected) => {
    expect(parseCursor(raw)).toEqual(expected);
  });

  it.each([
    ['abc', 'must be an event id'],
    ['-1', 'must be an event id'],
    ['1.5', 'must be an event id'],
    ['99999999999999999999', 'too large'],
    ['2026-13-45T99:00:00Z', 'must be an event id'],
    ['yesterday', 'must be an event id'],
  ])('refuses %j with a 400', (raw, detail) => {
    expect(() => parseCursor(raw)).toThrow(BadRequestException);
    expect(() => parseCursor(raw)).toThrow(detail);
  });

  it('refuses a repeated parameter', () => {
    expect(() => parseCursor(['1', '2'])).toThrow('given once');
  });
});

describe('parseEventId, parseLimit, parseTypes, parseStage', () => {
  it('reads event ids and refuses anything else', () => {
    expect(parseEventId('17', 'Last-Event-ID')).toBe(17);
    expect(parseEventId(undefined, 'Last-Event-ID')).toBeNull();
    expect(() => parseEventId('2026-11-22', 'Last-Event-ID')).toThrow('Last-Event-ID must be an event id');
  });

  it.each([
    [undefined, 100],
    ['1', 1],
    ['1000', 1000],
  ])('reads limit %j as %i', (raw, expected) => expect(parseLimit(raw)).toBe(expected));

  it.each(['0', '1001', '5000', 'abc', '-3', '2.5'])('refuses limit %j', (raw) => {
    expect(() => parseLimit(raw)).toThrow('limit must be an integer from 1 to 1000');
  });

  it('reads a comma list of event types and names the one that is not', () => {
    expect(parseTypes('job_created, gate_pause')).toEqual(['job_created', 'gate_pause']);
    expect(parseTypes(undefined)).toBeUndefined();
    expect(() => parseTypes('job_created,bogus')).toThrow('"bogus" is not an event type');
  });

  it('reads stages', () => {
    expect(parseStage('script')).toBe('script');
    expect(() => parseStage('editing')).toThrow('stage must be one of');
  });
});
