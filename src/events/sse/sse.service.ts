import type { ServerResponse } from 'node:http';
import { BeforeApplicationShutdown, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import { OperatorConfig } from '../../config/operator-config';
import { MetricsService } from '../../metrics/metrics.service';
import { EventBus } from '../../bus/bus.port';
import { Store } from '../../store/store.port';
import { EventFilter, JobEvent, PublishedEvent } from '../../domain/events';
import { HistoryTruncated, historyTruncation } from '../history-truncation';
import {
  connectedFrame,
  eventFrame,
  eventFrameBytes,
  heartbeatFrame,
  shutdownFrame,
  truncationFrame,
} from './sse-frames';
import { SseWriter } from './sse-writer';

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
 * One SSE connection per call: `connected`, the replay after the cursor, then live events, with
 * heartbeats throughout (docs/API.md, "SSE"). The bus is subscribed before the store is read and live
 * events wait while the replay runs; every id at or below the last one sent is dropped, so the switch
 * to live loses nothing and repeats nothing however long each read takes.
 */
@Injectable()
export class SseService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('events');
  private open = 0;
  private readonly openByClient = new Map<string, number>();
  /** Ends each open stream with a shutdown frame; resolves once its response is over. */
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

  /** Resolves once the stream is open; a refusal (429) rejects before any byte, so the filter answers JSON. */
  async stream(request: StreamRequest, response: ServerResponse): Promise<void> {
    const release = this.claim(request.client);
    const { max_backlog: maxBacklog } = this.config.events;
    try {
      const truncated =
        request.cursor === null ? null : await historyTruncation(this.store, request.filter, request.cursor);
      const writer = new SseWriter(response, {
        maxBacklog,
        onOverflow: (pending) =>
          this.logger.warn(
            `SSE client too slow: ${pending} frames waiting (max ${maxBacklog}); closing it so it resumes with Last-Event-ID`,
          ),
      });
      writer.open();
      this.run(request, writer, truncated, release);
    } catch (error) {
      release();
      throw error;
    }
  }

  private run(request: StreamRequest, writer: SseWriter, notice: HistoryTruncated | null, release: () => void): void {
    const { max_backlog: maxBacklog, heartbeat_seconds: heartbeatSeconds, sse_retry_ms: retryMs } = this.config.events;
    let lastSentId = request.cursor ?? 0;
    let live = request.cursor === null;
    let stopped = false;
    let buffered: PublishedEvent[] = [];
    let bufferDropped = false;
    writer.send(connectedFrame(request.connectedMessage, request.connectedPayload, retryMs));
    if (notice) writer.send(truncationFrame(notice));
    const sendEvent = (event: JobEvent, json?: string): void => {
      lastSentId = event.id;
      writer.send(eventFrame(event, json));
    };
    const deliver = (published: PublishedEvent): void => {
      if (published.event.id <= lastSentId) return;
      lastSentId = published.event.id;
      writer.sendBytes(eventFrameBytes(published));
    };
    const unsubscribe = this.bus.subscribe(0, {
      next: (published) => {
        if (stopped || !matchesFilter(request.filter, published.event)) return;
        if (live) deliver(published);
        else if (buffered.push(published) > maxBacklog) {
          // Every published event is stored first (bus.port.ts): past a bound, the replay reads them instead.
          buffered = [];
          bufferDropped = true;
        }
      },
      // The bus completes when the app shuts down: the stream ends cleanly instead of hanging. Deferred,
      // as a bus already complete calls this inside subscribe().
      complete: () => queueMicrotask(() => end()),
    });
    const heartbeat = setInterval(() => {
      this.logger.debug('SSE heartbeat');
      writer.send(heartbeatFrame());
    }, heartbeatSeconds * 1000);
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      this.closers.delete(closeForShutdown);
      unsubscribe();
      clearInterval(heartbeat);
      release();
    };
    const end = (): void => {
      stop();
      writer.end();
    };
    const closeForShutdown = async (): Promise<void> => {
      writer.send(shutdownFrame());
      end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS);
        writer.onClose(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    };
    this.closers.add(closeForShutdown);
    writer.onClose(stop);
    if (live || stopped) return;

    // Pace the replay by what the client reads: a page is read only when it fits under the backlog
    // limit, so a long history never piles up in memory nor gets a reading client cut off.
    const lowWater = Math.floor(maxBacklog / 2);
    const pageSize = Math.max(1, Math.min(REPLAY_PAGE, maxBacklog - lowWater));
    const replay = async (): Promise<void> => {
      for (;;) {
        await writer.waitUntilAtMost(lowWater);
        if (stopped) return;
        bufferDropped = false;
        const page = await this.store.eventsAfter(request.filter, lastSentId, pageSize);
        if (stopped) return;
        for (const event of page) sendEvent(event);
        if (page.length < pageSize && !bufferDropped) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      live = true;
      const waiting = buffered;
      buffered = [];
      for (const published of waiting) deliver(published);
    };
    replay().catch((error: unknown) => {
      this.logger.error(`SSE replay failed: ${error instanceof Error ? error.message : String(error)}`);
      end();
    });
  }

  /** Counts a stream against the open total and its client's cap; the returned release runs once. */
  private claim(client: string): () => void {
    const maxPerClient = this.config.security.max_streams_per_client;
    const count = this.openByClient.get(client) ?? 0;
    if (count >= maxPerClient) {
      throw new HttpException(
        `Too many open event streams: at most ${maxPerClient} per client; close one first`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    this.openByClient.set(client, count + 1);
    this.open++;
    this.metrics.streamOpened();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
      this.metrics.streamClosed();
      const left = (this.openByClient.get(client) ?? 1) - 1;
      if (left > 0) this.openByClient.set(client, left);
      else this.openByClient.delete(client);
    };
  }
}
