import type { ServerResponse } from 'node:http';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { isJobId } from '../common/job-id.pipe';
import { clip } from '../common/text';
import { Store } from '../store/store.port';
import { parseCursor, parseEventId, parseLimit, parseStage, parseTypes } from './event-query';
import { EventFilter } from '../domain/events';
import { PollingService, pollBody } from './polling.service';
import { SseService } from './sse/sse.service';

/** The query string of the polling and stream routes, as received (strings, or arrays when repeated). */
export interface RawEventQuery {
  since?: unknown;
  limit?: unknown;
  types?: unknown;
  stage?: unknown;
  job_id?: unknown;
  last_event_id?: unknown;
}

/** Turns the raw query of the polling and SSE routes into a filter and a cursor, and checks the job. */
@Injectable()
export class EventStreamsService {
  constructor(
    private readonly store: Store,
    private readonly polling: PollingService,
    private readonly sse: SseService,
  ) {}

  /** The response body (JSON text) of a poll. */
  async poll(query: RawEventQuery, jobId?: string): Promise<string> {
    const filter = this.filterOf(query, jobId);
    const page = await this.polling.poll({ filter, cursor: parseCursor(query.since), limit: parseLimit(query.limit) });
    // A job with events exists: its row is read only when the page is empty (a 404, or nothing new).
    if (page.events.length === 0) await this.checkJob(filter);
    return pollBody(page);
  }

  /** Checks the query and the job, then opens the stream; any refusal comes before the first byte. */
  async stream(
    query: RawEventQuery,
    lastEventId: string | undefined,
    connection: { response: ServerResponse; client: string },
    jobId?: string,
  ): Promise<void> {
    const filter = this.filterOf(query, jobId);
    await this.checkJob(filter);
    // A browser's EventSource reconnects to the same URL (with its ?since=) plus Last-Event-ID: the header wins.
    const cursor =
      parseEventId(lastEventId, 'Last-Event-ID') ??
      parseEventId(query.last_event_id, 'last_event_id') ??
      (await this.cursorId(query.since));
    const scope = filter.jobId ? `job ${filter.jobId}` : 'global';
    await this.sse.stream(
      {
        client: connection.client,
        filter,
        cursor,
        connectedMessage:
          filter.jobId && jobId ? `Connected to job ${jobId} event stream` : `Connected to ${scope} event stream`,
        connectedPayload: { job_id: filter.jobId ?? null, operator: 'admin' },
      },
      connection.response,
    );
  }

  private async cursorId(since: unknown): Promise<number | null> {
    const cursor = parseCursor(since);
    if (cursor === null) return null;
    return cursor.kind === 'id' ? cursor.id : this.store.lastIdAtOrBefore(cursor.ts);
  }

  private filterOf(query: RawEventQuery, pathJobId?: string): EventFilter {
    const filter: EventFilter = { types: parseTypes(query.types), stage: parseStage(query.stage) };
    const jobId = pathJobId ?? this.jobIdOf(query.job_id);
    if (jobId !== undefined) filter.jobId = jobId;
    return filter;
  }

  private async checkJob({ jobId }: EventFilter): Promise<void> {
    if (jobId !== undefined && !(await this.store.jobExists(jobId))) {
      throw new NotFoundException(`Job ${jobId} not found`);
    }
  }

  private jobIdOf(raw: unknown): string | undefined {
    if (raw === undefined || raw === '') return undefined;
    if (!isJobId(raw)) throw new BadRequestException(`job_id must be a job's UUID, got "${clip(String(raw))}"`);
    return raw.toLowerCase();
  }
}
