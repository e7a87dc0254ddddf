import { jsonAfterId, makeEvent, withId } from './events';

describe('an event stored as its JSON after the id', () => {
  it('gives back, with the id, exactly the JSON of the event', () => {
    const event = makeEvent(42, 'job-1', '2026-12-03T00:00:00.000Z', 'stage_log', 'script', 'running', 'a "line"\n', {
      stream: 'stdout',
      line: 'ü ✓',
      nested: { list: [1, null, 'x'] },
    });
    const stored = jsonAfterId(
      makeEvent(0, 'job-1', event.ts, event.type, 'script', 'running', event.message, event.payload),
    );
    expect(withId(42, stored)).toBe(JSON.stringify(event));
    expect(jsonAfterId(event)).toBe(stored);
  });
});
