import type { IncomingMessage } from 'node:http';
import { isIPv6 } from 'node:net';
import proxyaddr from 'proxy-addr';
import { TrustProxy } from '../config/operator-config';

/** The leading groups of an IPv6 address that name one client: its /64, one site's subnet. */
const IPV6_CLIENT_GROUPS = 4;

/**
 * The client a request counts against in the rate limits (security/rate-limits.ts): its address as
 * Express's `req.ip` gives it through `server.trust_proxy` (the same proxy-addr call), an IPv6
 * address cut to its /64, so one host cannot step around its limit by changing its low bits.
 */
export function clientOf(trust: TrustProxy): (request: IncomingMessage) => string {
  const trusted =
    trust === false
      ? () => false
      : typeof trust === 'number'
        ? (_address: string, hop: number) => hop < trust
        : proxyaddr.compile(trust);
  return (request) => clientPrefix(proxyaddr(request, trusted));
}

/** An IPv4 address as it is, an IPv4-mapped one as IPv4, any other IPv6 one as its /64. */
export function clientPrefix(address: string): string {
  const bare = address.split('%')[0].toLowerCase();
  if (!isIPv6(bare)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1];
  const [head, tail] = bare.split('::');
  const left = head ? head.split(':') : [];
  // An IPv4 tail (`64:ff9b::192.0.2.1`) stands for two groups.
  const right = tail ? tail.split(':').flatMap((group) => (group.includes('.') ? ['0', '0'] : [group])) : [];
  const groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, IPV6_CLIENT_GROUPS)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
