import type { IncomingMessage, ServerResponse } from 'node:http';
import { BeforeApplicationShutdown, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import { OperatorConfig } from '../../config/operator-config';
import { MetricsService } from '../../metrics/metrics.service';
import { EventBus } from '../../bus/bus.port';
import { Store } from '../../store/store.port';
import { EventFilter, JobEvent, PublishedEvent } from '../../domain/events';
import { SseWriter } from './sse-writer';
import { connectedFrame, eventFrame, heartbeatFrame, noticeFrame, shutdownFrame } from './sse-frames';
import { historyTruncation } from '../history-truncation';

const REPLAY_PAGE = 500;
/** How long a stream's last frames may take to flush at shutdown. */
const SHUTDOWN_FLUSH_MS = 1000;

export interface StreamRequest {
  /** Who opens it (the client IP), for security.max_streams_per_client. */
  client: string;
  filter: EventFilter;
  /** Replay stored events after this id first; null = live events only. */
  cursor: number | null;
  connectedMessage: string;
  connectedPayload: Record<string, unknown>;
}

export function matchesFilter(filter: EventFilter, event: JobEvent): boolean {
  return (
    (filter.jobId === undefined || event.job_id === filter.jobId) &&
    (filter.types === undefined || filter.types.length === 0 || filter.types.includes(event.type)) &&
    (filter.stage === undefined || event.stage === filter.stage)
  );
}

/**
 * SSE connections, written by our own SseWriter: `connected`, the replay after the cursor, then live
 * events, with heartbeats throughout. The resume is subscribe first → replay from the store → drop
 * ids at or below the last one sent, so no event falls between the replay and the live feed, and
 * nothing relies on the store read and the subscription happening in one tick.
 */
@Injectable()
export class SseService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('events');
  private open = 0;
  private readonly openByClient = new Map<string, number>();
  /** Ends each open stream with a shutdown frame; resolves once its response is finished. */
  private readonly closers = new Set<() => Promise<void>>();

  constructor(
    private readonly config: OperatorConfig,
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly metrics: MetricsService,
  ) {}

  /** Before the HTTP server closes: every stream gets its `shutdown` frame and ends. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.closers].map((close) => close()));
  }

  get openStreams(): number {
    return this.open;
  }

  /** Writes the stream to `response` until the client leaves or the service stops. Throws (429) before any byte. */
  stream(request: StreamRequest, incoming: IncomingMessage, response: ServerResponse): void {
    const { max_backlog: maxBacklog, heartbeat_seconds: heartbeatSeconds, sse_retry_ms: retryMs } = this.config.events;
    const maxPerClient = this.config.security.max_streams_per_client;
    if ((this.openByClient.get(request.client) ?? 0) >= maxPerClient) {
      throw new HttpException(
        `Too many open event streams: at most ${maxPerClient} per client; close one first`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    const writer = new SseWriter(incoming, response, maxBacklog, (pending) => {
      this.logger.warn(
        `SSE client too slow: ${pending} frames waiting (max ${maxBacklog}); closing it so it resumes with Last-Event-ID`,
      );
    });
    this.opened(request.client);
    let isLive = request.cursor === null;
    let lastSentId = request.cursor ?? 0;
    const buffered: PublishedEvent[] = [];
    const sendEvent = (event: JobEvent, json?: string): void => {
      lastSentId = event.id;
      writer.write(eventFrame(event, json));
    };
    const sendLive = ({ event, json }: PublishedEvent): void => {
      if (event.id > lastSentId && matchesFilter(request.filter, event)) sendEvent(event, json);
    };

    writer.open();
    writer.write(connectedFrame(request.connectedMessage, request.connectedPayload, retryMs));
    // Subscribed before the replay reads the store: an event committed meanwhile is in the read or in the buffer.
    const unsubscribe = this.bus.subscribe(0, {
      next: (published) => {
        if (isLive) return sendLive(published);
        if (!matchesFilter(request.filter, published.event)) return;
        buffered.push(published);
        // Bounded like the socket backlog: a client that cannot keep up resumes later with Last-Event-ID.
        if (buffered.length > maxBacklog) {
          this.logger.warn(`SSE replay fell ${buffered.length} live events behind (max ${maxBacklog}); closing it`);
          buffered.length = 0;
          writer.close();
        }
      },
      // The bus completes when the app shuts down: the stream ends cleanly instead of hanging.
      complete: () => writer.end(),
    });
    const heartbeat = setInterval(() => {
      this.logger.debug('SSE heartbeat');
      writer.write(heartbeatFrame());
    }, heartbeatSeconds * 1000);
    const closeForShutdown = async (): Promise<void> => {
      writer.write(shutdownFrame());
      writer.end();
      if (response.writableFinished || response.destroyed) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
        response.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    };
    this.closers.add(closeForShutdown);
    response.once('close', () => {
      this.closers.delete(closeForShutdown);
      unsubscribe();
      clearInterval(heartbeat);
      this.closed(request.client);
    });

    // Paced by what the client reads: a page is read only when it fits under the backlog limit, so a
    // long history never piles up in memory nor gets a reading client cut off.
    const lowWater = Math.floor(maxBacklog / 2);
    const pageSize = Math.max(1, Math.min(REPLAY_PAGE, maxBacklog - lowWater));
    const replay = async (): Promise<void> => {
      const truncated = await historyTruncation(this.store, request.filter, lastSentId);
      if (truncated) writer.write(noticeFrame(truncated));
      while (!writer.closed) {
        await writer.waitUntilAtMost(lowWater);
        if (writer.closed) return;
        const page = await this.store.eventsAfter(request.filter, lastSentId, pageSize);
        for (const event of page) sendEvent(event);
        if (page.length < pageSize) break;
        // One page per turn of the event loop: a long history never holds up other requests.
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const published of buffered.splice(0)) sendLive(published);
      isLive = true;
    };
    if (!isLive) {
      replay().catch((error: unknown) => {
        this.logger.error(`SSE replay failed: ${error instanceof Error ? error.message : String(error)}`);
        writer.end();
      });
    }
  }

  private opened(client: string): void {
    this.open++;
    this.metrics.streamOpened();
    this.openByClient.set(client, (this.openByClient.get(client) ?? 0) + 1);
  }

  private closed(client: string): void {
    this.open--;
    this.metrics.streamClosed();
    const left = (this.openByClient.get(client) ?? 1) - 1;
    if (left > 0) this.openByClient.set(client, left);
    else this.openByClient.delete(client);
  }
}
