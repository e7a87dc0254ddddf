import { consoleLevel, formatConsoleLine } from './console-line';
import { makeEvent } from '../domain/events';

describe('the [events] console line', () => {
  it('has the layout of docs/OPERATIONS.md, "The event pipeline"', () => {
    const event = makeEvent(
      7,
      'job-1',
      '2026-11-22T10:00:00.000Z',
      'stage_started',
      'script',
      'running',
      'Started script stage',
      { stage: 'script', status: 'running' },
    );
    expect(formatConsoleLine(event)).toBe(
      'Job job-1 | Stage: script | Status: running | Type: stage_started | Message: Started script stage | Payload: stage: script, status: running',
    );
  });

  it('prints - for a null stage, status or empty payload, JSON for nested values, and keeps one line', () => {
    const event = makeEvent(8, 'job-1', 'ts', 'stage_log', null, null, 'two\nlines', {
      line: 'a\nb',
      result: { ok: true },
    });
    expect(formatConsoleLine(event)).toBe(
      'Job job-1 | Stage: - | Status: - | Type: stage_log | Message: two lines | Payload: line: a b, result: {"ok":true}',
    );
    const empty = makeEvent(9, 'job-1', 'ts', 'job_created', null, 'queued', 'm', {});
    expect(formatConsoleLine(empty)).toContain('| Payload: -');
  });

  it.each([
    ['stage_failed', 'error'],
    ['job_failed', 'error'],
    ['gate_rejected', 'warning'],
    ['job_created', 'info'],
    ['stage_log', 'info'],
  ] as const)('prints %s at %s', (type, level) => {
    expect(consoleLevel({ type })).toBe(level);
  });
});
