import { Injectable } from '@nestjs/common';
import { Store } from '../store/store.port';
import { Cursor } from './event-query';
import { EventFilter, JobEvent, SerializedEvent } from '../domain/events';
import { HistoryTruncated, historyTruncation } from './history-truncation';

export interface PollQuery {
  filter: EventFilter;
  cursor: Cursor | null;
  limit: number;
}

export interface PollResponse {
  job_id: string | null;
  events: JobEvent[];
  total: number;
  has_more: boolean;
  last_event_time: string | null;
  since: string | null;
  timestamp: string;
  next_since: string | number;
  /** Present only when retention removed events after the cursor (docs/OPERATIONS.md). */
  history_truncated?: HistoryTruncated;
}

/** A page as polling builds it: the response's fields, with each event still as its stored JSON. */
export type PollPage = Omit<PollResponse, 'events'> & { events: SerializedEvent[] };

/**
 * `?since=` polling (docs/API.md): with a cursor the oldest page after it, without one the newest
 * page. The events are never parsed here: each goes into the body as the JSON the store keeps.
 */
@Injectable()
export class PollingService {
  constructor(private readonly store: Store) {}

  async poll({ filter, cursor, limit }: PollQuery): Promise<PollPage> {
    // One row more than asked tells whether more lie beyond this page.
    const cursorId = cursor === null ? null : await this.cursorId(cursor);
    let events =
      cursorId === null
        ? await this.store.newestEventJsons(filter, limit + 1)
        : await this.store.eventJsonsAfter(filter, cursorId, limit + 1);
    const hasMore = events.length > limit;
    if (hasMore) events = cursor === null ? events.slice(1) : events.slice(0, limit);
    const last = events.at(-1);
    const truncated = cursorId === null ? null : await historyTruncation(this.store, filter, cursorId);
    return {
      job_id: filter.jobId ?? null,
      events,
      total: events.length,
      has_more: hasMore,
      last_event_time: last?.ts ?? null,
      since: cursor?.raw ?? null,
      timestamp: new Date().toISOString(),
      next_since: last ? last.id : nextSinceWithoutEvents(cursor),
      ...(truncated ? { history_truncated: truncated } : {}),
    };
  }

  /** A timestamp cursor means "events with ts after it": the last stored event at or before it is the id cursor. */
  private async cursorId(cursor: Cursor): Promise<number> {
    return cursor.kind === 'id' ? cursor.id : this.store.lastIdAtOrBefore(cursor.ts);
  }
}

/** Without events the cursor stays where it was; with no cursor at all, 0 ("from the start") is the one to send next. */
function nextSinceWithoutEvents(cursor: Cursor | null): string | number {
  if (cursor === null) return 0;
  return cursor.kind === 'id' ? cursor.id : cursor.raw;
}

/** The page as the response body: PollResponse's JSON (same keys, same order), its events spliced in as stored. */
export function pollBody({ events, ...meta }: PollPage): string {
  const { job_id: jobId, ...rest } = meta;
  const list = events.map((event) => event.json).join(',');
  return `{"job_id":${JSON.stringify(jobId)},"events":[${list}],${JSON.stringify(rest).slice(1)}`;
}
