import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IllegalTransition } from './errors';
import { ACTIVE_STATUSES, JOB_STATUSES, JobStatus } from './stages';
import { COMMANDS, TRANSITIONS, renderStateTable, statusAfter, transitionFor } from './transitions';

const JOB = '5fd6f1ae-0000-4000-8000-000000000000';
const STATUSES: (JobStatus | null)[] = [null, ...JOB_STATUSES];

describe('the transition table', () => {
  it('has exactly one row per command', () => {
    expect(TRANSITIONS.map((transition) => transition.command)).toEqual([...COMMANDS]);
  });

  const allowed = TRANSITIONS.flatMap((transition) =>
    transition.from.map((from) => [transition.command, from, transition.to ?? from, transition.events] as const),
  );
  it.each(allowed)('allows %s from %s, ending %s with %j', (command, from, to, events) => {
    const transition = transitionFor(JOB, from, command);
    expect(transition.events).toEqual(events);
    if (from !== null) expect(statusAfter(transition, from)).toBe(to);
  });

  const illegal = TRANSITIONS.flatMap((transition) =>
    STATUSES.filter((status) => !transition.from.includes(status)).map(
      (status) => [transition.command, status] as const,
    ),
  );
  it.each(illegal)('refuses %s from %s with a 409 that names the status', (command, status) => {
    expect(() => transitionFor(JOB, status, command)).toThrow(IllegalTransition);
    if (status !== null) expect(() => transitionFor(JOB, status, command)).toThrow(`is ${status}`);
  });

  it('never leaves a finished job except to patch its files or delete it', () => {
    const leaving = TRANSITIONS.filter((transition) =>
      transition.from.some((from) => from === 'completed' || from === 'failed' || from === 'canceled'),
    );
    expect(leaving.map((transition) => [transition.command, transition.to])).toEqual([
      ['apply_patch_direct', null],
      ['delete', null],
    ]);
    expect(transitionFor(JOB, 'completed', 'delete').events).toEqual(['job_deleted']);
    for (const status of ACTIVE_STATUSES) expect(() => transitionFor(JOB, status, 'delete')).toThrow(IllegalTransition);
  });

  it('names every event a stored event type, and ends a job with exactly one job_* outcome', () => {
    for (const transition of TRANSITIONS) {
      const endings = transition.events.filter((type) =>
        ['job_completed', 'job_failed', 'job_canceled'].includes(type),
      );
      const finishes = transition.to === 'completed' || transition.to === 'failed' || transition.to === 'canceled';
      expect([transition.command, endings.length]).toEqual([transition.command, finishes ? 1 : 0]);
    }
  });

  it('is the table docs/OPERATIONS.md shows', () => {
    const operations = readFileSync(join(__dirname, '..', '..', 'docs', 'OPERATIONS.md'), 'utf8');
    expect(operations).toContain(renderStateTable());
  });
});
