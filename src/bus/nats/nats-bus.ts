import { Logger } from '@nestjs/common';
import {
  DiscardPolicy,
  Events,
  JetStreamClient,
  NatsConnection,
  NatsError,
  RetentionPolicy,
  StorageType,
  connect,
  nanos,
} from 'nats';
import { StartupError } from '../../common/startup-error';
import { redactUrl } from '../../config/urls';
import { BusUnavailable } from '../../domain/errors';
import { PublishedEvent } from '../../domain/events';
import { Store } from '../../store/store.port';
import { BusSubscriber, EventBus, Unsubscribe } from '../bus.port';
import { LocalBus } from '../local/local-bus';

/** How long an event waits for the ones before it to arrive over NATS before they are read from the store. */
const GAP_WAIT_MS = 25;
/** How often the store is read for events NATS did not bring (an outage, a publish that failed). */
const CATCH_UP_MS = { connected: 1000, disconnected: 200 };
const CATCH_UP_PAGE = 1000;
/** How long the stream keeps messages (the store keeps the events; the stream is for live delivery). */
const STREAM_MAX_AGE_MS = 60 * 60_000;

export interface NatsBusOptions {
  url: string;
  stream: string;
  instanceId: string;
}

/**
 * The bus between the instances of a cluster (docs/CLUSTER.md): each instance publishes the events
 * it commits to NATS JetStream (stream `bus.stream`, subject `<stream>.job.<job_id>`) and hears the
 * others' on a subscription. Locally it delivers every event of the cluster to its subscribers in id
 * order, once: ids follow on with no gap (the store's event_head), so an event that arrives before
 * the one below it waits briefly, then the missing ones are read from the store. A periodic read of
 * the store catches up whatever NATS lost (an outage, a failed publish): the store is the truth, the
 * bus only makes delivery fast.
 */
export class NatsBus extends EventBus {
  private readonly logger = new Logger('bus');
  private readonly local = new LocalBus();
  private readonly pending = new Map<number, PublishedEvent>();
  private delivered: number;
  private isConnected = true;
  private isFilling = false;
  private fillAgain = false;
  private gapTimer?: NodeJS.Timeout;
  private catchUpTimer?: NodeJS.Timeout;
  private publishFailures = 0;
  private isClosed = false;

  private constructor(
    private readonly connection: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly store: Store,
    private readonly options: NatsBusOptions,
    lastId: number,
  ) {
    super();
    this.delivered = lastId;
    this.connection.subscribe(`${options.stream}.job.*`, {
      callback: (error, message) => {
        if (!error) this.accept(decode(message.string()));
      },
    });
    void this.watchStatus();
    this.scheduleCatchUp();
  }

  /** Connects, checks or creates the stream; StartupError with one clear line if either fails. */
  static async open(options: NatsBusOptions, store: Store): Promise<NatsBus> {
    let connection: NatsConnection;
    try {
      connection = await connect({
        servers: options.url,
        name: options.instanceId,
        noEcho: true,
        timeout: 3000,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        pingInterval: 5000,
      });
    } catch (error) {
      throw new StartupError('bus', `Cannot connect to NATS at ${redactUrl(options.url)}: ${messageOf(error)}`);
    }
    try {
      await ensureStream(connection, options.stream);
      const newest = await store.newestEvents({}, 1);
      return new NatsBus(connection, connection.jetstream(), store, options, newest[0]?.id ?? 0);
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  get engine(): string {
    return 'nats';
  }

  /** This instance's own commits: delivered here at once, then published for the others. */
  publish(events: readonly PublishedEvent[]): void {
    this.accept(events);
    for (const [jobId, ofJob] of groupByJob(events)) {
      const body = ofJob.map((published) => published.json).join('\n');
      this.js.publish(`${this.options.stream}.job.${subjectToken(jobId)}`, body).then(
        () => this.publishRecovered(),
        (error: unknown) => this.publishFailed(error),
      );
    }
  }

  subscribe(afterId: number, subscriber: BusSubscriber): Unsubscribe {
    return this.local.subscribe(afterId, subscriber);
  }

  get subscriberCount(): number {
    return this.local.subscriberCount;
  }

  async check(): Promise<void> {
    if (!this.isConnected || this.connection.isClosed()) {
      throw new BusUnavailable(
        `NATS at ${redactUrl(this.options.url)} is not reachable; events reach this instance's streams from the database meanwhile`,
        2,
      );
    }
  }

  async close(): Promise<void> {
    this.isClosed = true;
    clearTimeout(this.gapTimer);
    clearTimeout(this.catchUpTimer);
    // Not drain(): with the server away it would wait; what was not published is in the store.
    await this.connection.close().catch(() => undefined);
    await this.local.close();
  }

  private accept(events: readonly PublishedEvent[]): void {
    for (const published of events) {
      if (published.event.id > this.delivered) this.pending.set(published.event.id, published);
    }
    this.deliverInOrder();
    if (this.pending.size > 0 && !this.gapTimer) {
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        void this.fillFromStore();
      }, GAP_WAIT_MS);
    }
  }

  private deliverInOrder(): void {
    for (let next = this.pending.get(this.delivered + 1); next; next = this.pending.get(this.delivered + 1)) {
      this.pending.delete(next.event.id);
      this.deliver(next);
    }
  }

  private deliver(published: PublishedEvent): void {
    this.delivered = published.event.id;
    this.local.publish([published]);
  }

  /** Every stored event above the last one delivered, in id order; reused from `pending` where it came over NATS. */
  private async fillFromStore(): Promise<void> {
    if (this.isFilling) {
      this.fillAgain = true;
      return;
    }
    this.isFilling = true;
    try {
      do {
        this.fillAgain = false;
        for (;;) {
          const page = await this.store.eventsAfter({}, this.delivered, CATCH_UP_PAGE);
          for (const event of page) {
            if (event.id <= this.delivered) continue;
            this.deliver(this.pending.get(event.id) ?? { event, json: JSON.stringify(event) });
          }
          for (const id of this.pending.keys()) if (id <= this.delivered) this.pending.delete(id);
          this.deliverInOrder();
          if (page.length < CATCH_UP_PAGE) break;
        }
      } while (this.fillAgain);
    } catch {
      // The store is down too: the next catch-up tick tries again.
    } finally {
      this.isFilling = false;
    }
  }

  private scheduleCatchUp(): void {
    if (this.isClosed) return;
    const delay = this.isConnected ? CATCH_UP_MS.connected : CATCH_UP_MS.disconnected;
    this.catchUpTimer = setTimeout(() => {
      void this.fillFromStore().finally(() => this.scheduleCatchUp());
    }, delay);
    this.catchUpTimer.unref();
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === Events.Disconnect) {
        this.isConnected = false;
        this.logger.warn(
          `Lost NATS at ${redactUrl(this.options.url)}; reading new events from the database until it is back`,
        );
      } else if (status.type === Events.Reconnect) {
        this.isConnected = true;
        this.logger.log(`NATS is back at ${redactUrl(this.options.url)}`);
        // A server restarted without its data has lost the stream: make it again.
        await ensureStream(this.connection, this.options.stream).catch((error: unknown) =>
          this.logger.error(`NATS stream ${this.options.stream}: ${messageOf(error)}`),
        );
        void this.fillFromStore();
      }
    }
  }

  private publishFailed(error: unknown): void {
    // Reported once per outage: the events are stored, and every instance reads them from the store.
    if (this.publishFailures++ === 0 && !this.isClosed) {
      this.logger.warn(
        `Publishing to NATS failed (${messageOf(error)}); other instances read these events from the database`,
      );
    }
  }

  private publishRecovered(): void {
    this.publishFailures = 0;
  }
}

/**
 * The stream exists with our subjects, or is created. A stream of that name made for something else
 * (other subjects) is refused rather than changed.
 */
async function ensureStream(connection: NatsConnection, stream: string): Promise<void> {
  let manager;
  try {
    manager = await connection.jetstreamManager();
  } catch (error) {
    throw new StartupError('bus', `NATS JetStream is not available (${messageOf(error)}); start nats-server with -js`);
  }
  const subject = `${stream}.job.*`;
  try {
    const info = await manager.streams.info(stream);
    if (!info.config.subjects?.includes(subject)) {
      throw new StartupError(
        'bus',
        `NATS stream ${stream} exists with subjects ${JSON.stringify(info.config.subjects ?? [])}, not ${subject}; choose another bus.stream or delete that stream`,
      );
    }
  } catch (error) {
    if (!(error instanceof NatsError) || error.api_error?.err_code !== 10059) throw error;
    await manager.streams.add({
      name: stream,
      subjects: [subject],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      max_age: nanos(STREAM_MAX_AGE_MS),
    });
  }
}

function decode(body: string): PublishedEvent[] {
  return body.split('\n').map((json) => ({ event: JSON.parse(json) as PublishedEvent['event'], json }));
}

function groupByJob(events: readonly PublishedEvent[]): Map<string, PublishedEvent[]> {
  const byJob = new Map<string, PublishedEvent[]>();
  for (const published of events) {
    const list = byJob.get(published.event.job_id) ?? [];
    list.push(published);
    byJob.set(published.event.job_id, list);
  }
  return byJob;
}

/** A job id as one subject token (ids are UUIDs; anything else NATS would split is replaced). */
function subjectToken(jobId: string): string {
  return jobId.replace(/[^A-Za-z0-9_-]/g, '_');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
