import { Logger } from '@nestjs/common';
import { PublishedEvent, makeEvent, withId } from '../../domain/events';
import { LocalBus } from './local-bus';

const published = (id: number): PublishedEvent => {
  const event = makeEvent(id, 'job', 'ts', 'stage_log', 'script', null, `line ${id}`, {});
  return { event, json: withId(id, '{}') };
};
const ids = (events: PublishedEvent[]) => events.map(({ event }) => event.id);

describe('LocalBus', () => {
  it('delivers in order, above each subscriber’s afterId, until it unsubscribes', () => {
    const bus = new LocalBus();
    const all: PublishedEvent[] = [];
    const late: PublishedEvent[] = [];
    const stopAll = bus.subscribe(0, { next: (event) => all.push(event) });
    bus.subscribe(2, { next: (event) => late.push(event) });
    bus.publish([published(1), published(2), published(3)]);
    stopAll();
    stopAll();
    bus.publish([published(4)]);
    expect(ids(all)).toEqual([1, 2, 3]);
    expect(ids(late)).toEqual([3, 4]);
    expect(bus.subscriberCount).toBe(1);
  });

  it('goes on to the other subscribers when one throws, and skips one unsubscribed mid-publish', () => {
    const bus = new LocalBus();
    const seen: string[] = [];
    let stopSecond = () => undefined as void;
    bus.subscribe(0, {
      next: ({ event }) => {
        seen.push(`first ${event.id}`);
        if (event.id === 1) {
          stopSecond();
          // Subscribed during event 1's delivery: it hears of the events after it, not of event 1.
          bus.subscribe(0, { next: ({ event: later }) => seen.push(`third ${later.id}`) });
        }
        throw new Error('broken subscriber');
      },
    });
    stopSecond = bus.subscribe(0, { next: ({ event }) => seen.push(`second ${event.id}`) });
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    let logged: unknown[];
    try {
      bus.publish([published(1), published(2)]);
      logged = errors.mock.calls.map(([line]) => line);
    } finally {
      errors.mockRestore();
    }
    expect(seen).toEqual(['first 1', 'first 2', 'third 2']);
    expect(logged).toEqual([
      'A subscriber of the bus failed on event 1: broken subscriber',
      'A subscriber of the bus failed on event 2: broken subscriber',
    ]);
  });

  it('completes every subscriber on close, and one that subscribes afterwards at once', async () => {
    const bus = new LocalBus();
    const completed: string[] = [];
    bus.subscribe(0, { next: () => undefined, complete: () => completed.push('open') });
    await bus.close();
    bus.subscribe(0, { next: () => undefined, complete: () => completed.push('late') });
    bus.publish([published(1)]);
    expect(completed).toEqual(['open', 'late']);
    expect(bus.subscriberCount).toBe(0);
  });
});
