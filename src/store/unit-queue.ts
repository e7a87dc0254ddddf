import { Logger } from '@nestjs/common';
import { Commit, CommitListener, StoreTx } from './store.port';

/** The most units of work one transaction carries (both adapters' group commit). */
export const MAX_BATCH = 256;

/** A unit of work waiting for its batch, and how to settle its caller's promise. */
export interface QueuedUnit {
  work: (tx: StoreTx) => Promise<unknown>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

export interface CommittedUnit {
  unit: QueuedUnit;
  result: unknown;
  commit: Commit;
}

/** Queues `work`; `start` is called to drain the queue when nothing drains it yet. */
export function enqueue<T>(
  queue: QueuedUnit[],
  work: (tx: StoreTx) => Promise<T>,
  start: () => void,
  isDraining: boolean,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    queue.push({ work, resolve: resolve as (result: unknown) => void, reject });
    if (!isDraining) start();
  });
}

/**
 * After the commit: the listener hears of the batch's units in commit (= id) order, then their
 * promises settle, so a caller never sees its answer before its events were handed on. A listener
 * that throws is logged; the units still resolve.
 */
export function announce(committed: readonly CommittedUnit[], listener: CommitListener, logger: Logger): void {
  if (committed.length === 0) return;
  try {
    listener(committed.map(({ commit }) => commit));
  } catch (error) {
    logger.error(`After-commit listener failed: ${error instanceof Error ? error.stack : String(error)}`);
  }
  for (const { unit, result } of committed) unit.resolve(result);
}
