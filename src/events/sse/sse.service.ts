import type { ServerResponse } from 'node:http';
import { BeforeApplicationShutdown, HttpException, HttpStatus, Injectable, Logger, MessageEvent } from '@nestjs/common';
import { Observable } from 'rxjs';
import { OperatorConfig } from '../../config/operator-config';
import { MetricsService } from '../../metrics/metrics.service';
import { EventBus } from '../../bus/bus.port';
import { Store } from '../../store/store.port';
import { EventFilter, JobEvent, PublishedEvent } from '../../domain/events';
import { BacklogMonitor } from './backlog-monitor';
import { StreamOnlyMessage, connectedFrame, eventFrame, heartbeatFrame, shutdownFrame } from './sse-frames';
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
 * One SSE connection as an Observable of frames for Nest's @Sse(): `connected`, the replay after the
 * cursor, then live events, with heartbeats throughout. The live bus is subscribed before the replay
 * is read; the replay's last page is read and the switch to live made in one synchronous step, and
 * emit() is synchronous too, so no event falls between them; ids at or below the last sent are dropped.
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

  stream(request: StreamRequest, response: ServerResponse): Observable<MessageEvent> {
    const { max_backlog: maxBacklog, heartbeat_seconds: heartbeatSeconds, sse_retry_ms: retryMs } = this.config.events;
    const maxPerClient = this.config.security.max_streams_per_client;
    if ((this.openByClient.get(request.client) ?? 0) >= maxPerClient) {
      throw new HttpException(
        `Too many open event streams: at most ${maxPerClient} per client; close one first`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    return new Observable<MessageEvent>((subscriber) => {
      this.open++;
      this.metrics.streamOpened();
      this.openByClient.set(request.client, (this.openByClient.get(request.client) ?? 0) + 1);
      let stopped = false;
      let isLive = request.cursor === null;
      let lastSentId = request.cursor ?? 0;
      const buffered: PublishedEvent[] = [];
      const backlog = new BacklogMonitor(response, maxBacklog, (pending) => {
        this.logger.warn(
          `SSE client too slow: ${pending} frames waiting (max ${maxBacklog}); closing it so it resumes with Last-Event-ID`,
        );
        response.destroy();
      });
      const send = (frame: MessageEvent): void => {
        if (stopped) return;
        backlog.handedOne();
        subscriber.next(frame);
      };
      const sendEvent = (event: JobEvent, json?: string): void => {
        lastSentId = event.id;
        send(eventFrame(event, json));
      };

      send(connectedFrame(request.connectedMessage, request.connectedPayload, retryMs));
      const closeForShutdown = async (): Promise<void> => {
        send(shutdownFrame());
        subscriber.complete();
        if (response.writableFinished) return;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
          response.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      };
      this.closers.add(closeForShutdown);
      const unsubscribe = this.bus.subscribe(0, {
        next: (published) => {
          // Events that commit while the replay reads the store wait here; ids already replayed are dropped.
          if (!isLive) buffered.push(published);
          else if (published.event.id > lastSentId && matchesFilter(request.filter, published.event)) {
            sendEvent(published.event, published.json);
          }
        },
        // The bus completes when the app shuts down: the stream ends cleanly instead of hanging.
        complete: () => subscriber.complete(),
      });
      const heartbeat = setInterval(() => {
        this.logger.debug('SSE heartbeat');
        send(heartbeatFrame());
      }, heartbeatSeconds * 1000);

      // Pace the replay by what the client reads: a page is read only when it fits under the backlog
      // limit, so a long history never piles up in memory nor gets a reading client cut off.
      const lowWater = Math.floor(maxBacklog / 2);
      const pageSize = Math.max(1, Math.min(REPLAY_PAGE, maxBacklog - lowWater));
      const replay = async (): Promise<void> => {
        const truncated = await historyTruncation(this.store, request.filter, lastSentId);
        if (truncated) send(new StreamOnlyMessage(JSON.stringify(truncated)));
        while (!stopped) {
          if (backlog.pending > lowWater) await backlog.waitUntilAtMost(lowWater, () => stopped);
          if (stopped) return;
          const page = await this.store.eventsAfter(request.filter, lastSentId, pageSize);
          for (const event of page) sendEvent(event);
          if (page.length < pageSize) {
            for (const { event, json } of buffered.splice(0)) {
              if (event.id > lastSentId && matchesFilter(request.filter, event)) sendEvent(event, json);
            }
            isLive = true;
            return;
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      if (!isLive) {
        replay().catch((error: unknown) => {
          this.logger.error(`SSE replay failed: ${error instanceof Error ? error.message : String(error)}`);
          subscriber.complete();
        });
      }

      return () => {
        stopped = true;
        this.closers.delete(closeForShutdown);
        this.open--;
        this.metrics.streamClosed();
        const left = (this.openByClient.get(request.client) ?? 1) - 1;
        if (left > 0) this.openByClient.set(request.client, left);
        else this.openByClient.delete(request.client);
        unsubscribe();
        clearInterval(heartbeat);
        backlog.dispose();
      };
    });
  }
}
