import type { IncomingMessage } from 'node:http';
import { clientOf, clientPrefix } from './client-address';

function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  const headers = forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor };
  return { socket: { remoteAddress }, connection: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('clientOf', () => {
  it('is the socket address without trusted proxies, whatever X-Forwarded-For claims', () => {
    expect(clientOf(false)(request('203.0.113.7', '198.51.100.1'))).toBe('203.0.113.7');
  });

  it('takes X-Forwarded-For through the trusted hops only', () => {
    const viaOne = clientOf(1);
    expect(viaOne(request('127.0.0.1', '198.51.100.9, 198.51.100.1'))).toBe('198.51.100.1');
    expect(clientOf(2)(request('127.0.0.1', '198.51.100.9, 198.51.100.1'))).toBe('198.51.100.9');
    expect(viaOne(request('127.0.0.1'))).toBe('127.0.0.1');
  });

  it('takes X-Forwarded-For from the listed proxies only', () => {
    const viaLoopback = clientOf(['127.0.0.1/8']);
    expect(viaLoopback(request('127.0.0.1', '198.51.100.1'))).toBe('198.51.100.1');
    expect(viaLoopback(request('192.0.2.10', '198.51.100.1'))).toBe('192.0.2.10');
  });
});

describe('clientPrefix', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1'],
    ['::ffff:192.0.2.1', '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:DB8:0001:0002::9', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['not an address', 'not an address'],
  ])('%s → %s', (address, client) => {
    expect(clientPrefix(address)).toBe(client);
  });

  it('puts two hosts of one /64 together, and two /64s apart', () => {
    expect(clientPrefix('2001:db8:1:2::a')).toBe(clientPrefix('2001:db8:1:2:ffff::b'));
    expect(clientPrefix('2001:db8:1:2::a')).not.toBe(clientPrefix('2001:db8:1:3::a'));
  });
});
