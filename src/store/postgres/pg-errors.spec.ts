import { StoreFull, StoreUnavailable } from '../../domain/errors';
import { isConnectionError, storeErrorOf } from './pg-errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('PostgreSQL errors as the store port', () => {
  it('makes a server that is gone 503, whether the socket or the server said so', () => {
    for (const error of [
      pgError('ECONNREFUSED'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      expect(isConnectionError(error)).toBe(true);
      expect(storeErrorOf(error)).toBeInstanceOf(StoreUnavailable);
    }
  });

  it('makes a lock wait past lock_timeout and a serialization failure 503, a full disk 507', () => {
    expect(storeErrorOf(pgError('55P03'))).toBeInstanceOf(StoreUnavailable);
    expect(storeErrorOf(pgError('40001'))).toBeInstanceOf(StoreUnavailable);
    expect(storeErrorOf(pgError('53100'))).toBeInstanceOf(StoreFull);
  });

  it('leaves any other error as it is (a bug stays a 500, logged)', () => {
    const syntax = pgError('42601', 'syntax error');
    expect(isConnectionError(syntax)).toBe(false);
    expect(storeErrorOf(syntax)).toBe(syntax);
  });
});
