import { Store } from '../store/store.port';
import { EventFilter } from '../domain/events';

/** Stream-only notice (docs/OPERATIONS.md): retention removed events after the client's cursor. */
export interface HistoryTruncated {
  type: 'history_truncated';
  job_id: string | null;
  oldest_id: number | null;
  message: string;
}

/** The notice a poll or a resume from `cursorId` gets first, or null when nothing after it was removed. */
export async function historyTruncation(
  store: Store,
  filter: EventFilter,
  cursorId: number,
): Promise<HistoryTruncated | null> {
  const prunedThrough = await store.prunedThrough(filter.jobId);
  if (cursorId >= prunedThrough) return null;
  const oldest = await store.oldestEventId(filter.jobId);
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
