import { EventStore } from './event-store';
import { EventFilter } from '../domain/events';

/** Stream-only notice (SPEC §11): retention removed events after the client's cursor. */
export interface HistoryTruncated {
  type: 'history_truncated';
  job_id: string | null;
  oldest_id: number | null;
  message: string;
}

/** The notice a poll or a resume from `cursorId` gets first, or null when nothing after it was removed. */
export function historyTruncation(store: EventStore, filter: EventFilter, cursorId: number): HistoryTruncated | null {
  const prunedThrough = store.prunedThrough(filter.jobId);
  if (cursorId >= prunedThrough) return null;
  const oldest = store.oldestId(filter.jobId);
  const scope = filter.jobId ? `job ${filter.jobId}` : 'the event log';
  return {
    type: 'history_truncated',
    job_id: filter.jobId ?? null,
    oldest_id: oldest,
    message:
      `Retention removed events of ${scope} up to id ${prunedThrough}, after your cursor ${cursorId}; ` +
      `the oldest stored is ${oldest ?? 'none'} (runs/<job_id>/events.jsonl keeps them all)`,
  };
}
