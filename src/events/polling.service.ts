import { Injectable } from '@nestjs/common';
import { Store } from '../store/store.port';
import { Cursor } from './event-query';
import { EventFilter, JobEvent } from '../domain/events';
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

/** `?since=` polling (docs/API.md): with a cursor the oldest page after it, without one the newest page. */
@Injectable()
export class PollingService {
  constructor(private readonly store: Store) {}

  async poll({ filter, cursor, limit }: PollQuery): Promise<PollResponse> {
    // One row more than asked tells whether more lie beyond this page.
    const cursorId = cursor === null ? null : await this.cursorId(cursor);
    let events =
      cursorId === null
        ? await this.store.newestEvents(filter, limit + 1)
        : await this.store.eventsAfter(filter, cursorId, limit + 1);
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
