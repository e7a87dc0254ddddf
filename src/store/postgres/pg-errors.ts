import { StoreFull, StoreUnavailable } from '../../domain/errors';

/** Network errors of the socket to the server (it is down, restarting or unreachable). */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/** The server is not there (down, restarting, unreachable), as opposed to a statement it refused. */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : '';
  return (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin_shutdown
    code === '57P02' || // crash_shutdown
    code === '57P03' || // cannot_connect_now (starting up, shutting down)
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
      message,
    )
  );
}

/**
 * PostgreSQL's errors as the store port's: the server gone, a lock waited past lock_timeout, a
 * serialization failure are StoreUnavailable (503, try again); a full disk StoreFull (507); anything
 * else (a bug) stays as it is.
 */
export function storeErrorOf(error: unknown): unknown {
  if (error instanceof StoreUnavailable) return error;
  const code = codeOf(error);
  if (isConnectionError(error)) {
    return new StoreUnavailable('The database (PostgreSQL) is not reachable; try again shortly', 2);
  }
  if (code === '55P03' || code === '40001' || code === '40P01') {
    return new StoreUnavailable('The database is busy with other writes; try again shortly', 1);
  }
  if (code === '53100') return new StoreFull('No space left for the database; nothing was written');
  if (code.startsWith('53') || code === '57014') {
    return new StoreUnavailable(`The database cannot take this write right now (${code}); try again shortly`, 2);
  }
  return error;
}
