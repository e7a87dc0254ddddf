import { Subject, filter } from 'rxjs';
import { PublishedEvent } from '../../domain/events';
import { BusSubscriber, EventBus, Unsubscribe } from '../bus.port';

/** The embedded bus: an RxJS Subject in this process. publish() delivers synchronously, in order. */
export class LocalBus extends EventBus {
  private readonly subject = new Subject<PublishedEvent>();
  private subscriptions = 0;

  publish(events: readonly PublishedEvent[]): void {
    for (const published of events) this.subject.next(published);
  }

  subscribe(afterId: number, subscriber: BusSubscriber): Unsubscribe {
    const subscription = this.subject.pipe(filter(({ event }) => event.id > afterId)).subscribe({
      next: (published) => subscriber.next(published),
      complete: () => subscriber.complete?.(),
    });
    this.subscriptions++;
    let isOpen = true;
    return () => {
      if (!isOpen) return;
      isOpen = false;
      this.subscriptions--;
      subscription.unsubscribe();
    };
  }

  get subscriberCount(): number {
    return this.subscriptions;
  }

  get engine(): string {
    return 'local';
  }

  /** In-process: always there. */
  async check(): Promise<void> {}

  async close(): Promise<void> {
    this.subject.complete();
  }
}
