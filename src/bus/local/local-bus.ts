import { Logger } from '@nestjs/common';
import { PublishedEvent } from '../../domain/events';
import { BusSubscriber, EventBus, Unsubscribe } from '../bus.port';

interface Subscription {
  afterId: number;
  subscriber: BusSubscriber;
  /** False once unsubscribed: a publish under way skips it from then on. */
  isActive: boolean;
}

/**
 * The embedded bus: the subscribers of this process in a list. publish() delivers synchronously, in
 * order, each event to the subscribers there were when its delivery began. It is on the path of
 * every SSE frame: with 1,000 streams, an RxJS Subject with a filter per subscriber cost about 9 %
 * of the server's time (docs/PERFORMANCE.md, "One loop for the fan-out"), so the list is replaced
 * on each (un)subscribe and read as it is by publish().
 */
export class LocalBus extends EventBus {
  private readonly logger = new Logger('events');
  private subscriptions: readonly Subscription[] = [];
  private isClosed = false;

  publish(events: readonly PublishedEvent[]): void {
    for (const published of events) {
      const id = published.event.id;
      for (const subscription of this.subscriptions) {
        if (id <= subscription.afterId || !subscription.isActive) continue;
        try {
          subscription.subscriber.next(published);
        } catch (error) {
          // One subscriber's failure is its own: the others still get the event, in order.
          this.logger.error(
            `A subscriber of the bus failed on event ${id}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    }
  }

  subscribe(afterId: number, subscriber: BusSubscriber): Unsubscribe {
    if (this.isClosed) {
      subscriber.complete?.();
      return () => undefined;
    }
    const subscription: Subscription = { afterId, subscriber, isActive: true };
    this.subscriptions = [...this.subscriptions, subscription];
    return () => {
      subscription.isActive = false;
      this.subscriptions = this.subscriptions.filter((entry) => entry !== subscription);
    };
  }

  get subscriberCount(): number {
    return this.subscriptions.length;
  }

  get engine(): string {
    return 'local';
  }

  /** In-process: always there. */
  async check(): Promise<void> {}

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    for (const { subscriber } of subscriptions) subscriber.complete?.();
  }
}
