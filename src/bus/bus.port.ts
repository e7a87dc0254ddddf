import { PublishedEvent } from '../domain/events';

/** Stops a subscription; calling it twice is harmless. */
export type Unsubscribe = () => void;

export interface BusSubscriber {
  /** One committed event, in id order, never twice. */
  next(published: PublishedEvent): void;
  /** The bus is shutting down: no more events will come. */
  complete?(): void;
}

/**
 * The live feed of committed events (docs/ARCHITECTURE.md, "Ports"). Publishers hand it events only
 * after their unit of work has committed, in id order; subscribers see them in that order. The bus
 * keeps no history: a subscriber that needs the past reads the store after subscribing and drops the
 * ids it has already seen, so nothing above this port relies on a read and a subscribe happening in
 * one tick.
 */
export abstract class EventBus {
  abstract publish(events: readonly PublishedEvent[]): void;

  /** Delivers every event published from now on whose id is above `afterId`. */
  abstract subscribe(afterId: number, subscriber: BusSubscriber): Unsubscribe;

  /** Subscriptions open now (tests and metrics check that streams release theirs). */
  abstract readonly subscriberCount: number;

  /** The adapter's name, as /readyz and the config report show it. */
  abstract readonly engine: string;

  /** Resolves when the bus can carry events between instances now; else BusUnavailable (503). */
  abstract check(): Promise<void>;

  /** Ends every subscription (their `complete`) and lets go of any connection. */
  abstract close(): Promise<void>;
}
