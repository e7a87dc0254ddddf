import { StoreFull, StoreUnavailable } from '../../domain/errors';

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** Another connection (another process) holds the lock this statement needs. */
export function isBusy(error: unknown): boolean {
  const code = codeOf(error);
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/**
 * SQLite's errors as the store port's: a lock held elsewhere or an I/O failure is StoreUnavailable
 * (503, try again), a full disk StoreFull (507); anything else (a bug) stays as it is.
 */
export function storeErrorOf(error: unknown): unknown {
  const code = codeOf(error);
  if (isBusy(error)) return new StoreUnavailable('The database is locked by another process; try again shortly', 1);
  if (code === 'SQLITE_FULL') return new StoreFull('No space left for the database; nothing was written');
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) {
    return new StoreUnavailable(`The database cannot be written right now (${code}); try again shortly`, 5);
  }
  return error;
}
