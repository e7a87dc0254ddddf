import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject } from 'rxjs';
import { PublishedEvent } from './event.types';

/** The live feed: every stored event, in id order, to every subscriber (SSE streams are filtered views). */
@Injectable()
export class EventBus implements OnApplicationShutdown {
  private readonly subject = new Subject<PublishedEvent>();
  readonly events$: Observable<PublishedEvent> = this.subject.asObservable();

  publish(published: PublishedEvent): void {
    this.subject.next(published);
  }

  get subscriberCount(): number {
    return this.subject.observed ? (this.subject as unknown as { observers: unknown[] }).observers.length : 0;
  }

  onApplicationShutdown(): void {
    this.subject.complete();
  }
}
