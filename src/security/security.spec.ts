import { bindAddress, isLoopback } from './startup-checks';
import { bearerToken, tokensMatch } from './token';

describe('tokens', () => {
  it('matches only the exact token', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abd', 'abc')).toBe(false);
    expect(tokensMatch('abcd', 'abc')).toBe(false);
    expect(tokensMatch('', 'abc')).toBe(false);
  });

  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc ', 'abc'],
    ['Basic abc', null],
    ['Bearer', null],
    [undefined, null],
  ])('reads %j as bearer token %j', (header, expected) => {
    expect(bearerToken(header)).toBe(expected);
  });
});

describe('binding', () => {
  it.each([
    ['127.0.0.1', false, '127.0.0.1'],
    ['localhost', false, 'localhost'],
    ['127.0.0.5', false, '127.0.0.5'],
    ['0.0.0.0', false, '127.0.0.1'],
    ['0.0.0.0', true, '0.0.0.0'],
    ['10.1.2.3', false, '127.0.0.1'],
  ])('binds %s with allow_external_bind=%s to %s', (host, allow, expected) => {
    expect(
      bindAddress({
        host,
        port: 8008,
        workers: 1,
        log_level: 'info',
        log_format: 'text',
        allow_external_bind: allow,
        request_timeout_s: 30,
        trust_proxy: false,
      }),
    ).toBe(expected);
    expect(isLoopback(expected) || allow).toBe(true);
  });
});
