import type { IncomingMessage } from 'node:http';
import { Injectable, Module } from '@nestjs/common';
import { OperatorConfig } from '../config/operator-config';
import { clientOf } from './client-address';
import { SlidingWindowStorage, ThrottlerStorageRecord } from './sliding-window.storage';

export const MINUTE_MS = 60_000;

/** The policy names of the RateLimit fields: what a client reads in `RateLimit-Policy`. */
const POLICY: Record<string, string> = { default: 'requests', jobs: 'jobs' };

/** The two IETF RateLimit header items (draft-ietf-httpapi-ratelimit-headers) for one limit a request counted against. */
export interface RateLimitFields {
  /** `"requests";q=70;w=60`, an item of `RateLimit-Policy` */
  policy: string;
  /** `"requests";r=69;t=60`, an item of `RateLimit` */
  state: string;
}

/** The fields of one limit as a request left it (`record`, the storage's count after the request). */
export function rateLimitFields(
  name: string,
  limit: number,
  ttlMs: number,
  record: ThrottlerStorageRecord,
): RateLimitFields {
  const policy = `"${POLICY[name] ?? name}"`;
  const remaining = record.isBlocked ? 0 : Math.max(0, limit - record.totalHits);
  const resetS = Math.max(1, record.isBlocked ? record.timeToBlockExpire : record.timeToExpire);
  return {
    policy: `${policy};q=${limit};w=${Math.round(ttlMs / 1000)}`,
    state: `${policy};r=${remaining};t=${resetS}`,
  };
}

/**
 * The per-client limits of `security.rate_limiting` (docs/OPERATIONS.md, "Rate limits"): one count, kept
 * by the guard (security/rate-limit.guard.ts, through @nestjs/throttler) and by the polling fast
 * path (events/poll-fast-path.ts) alike, with one notion of the client (security/client-address.ts).
 */
@Injectable()
export class RateLimits {
  readonly storage = new SlidingWindowStorage();
  readonly clientOf: (request: IncomingMessage) => string;

  constructor(private readonly config: OperatorConfig) {
    this.clientOf = clientOf(config.server.trust_proxy);
  }

  get isOn(): boolean {
    return this.config.security.rate_limiting.enabled;
  }

  /** Every API request of a client, over a sliding minute: the per-minute rate plus the burst. */
  get requestLimit(): number {
    const limits = this.config.security.rate_limiting;
    return limits.api_requests_per_minute + limits.burst_size;
  }

  /** The storage key of a client's count under the named limit (the guard's generateKey). */
  key(name: string, client: string): string {
    return `${name}:${client}`;
  }

  /** Whether the client's next API request would be refused now (nothing is counted). */
  isFull(client: string): boolean {
    return this.storage.isFull(this.key('default', client), MINUTE_MS, this.requestLimit);
  }

  /** Counts one API request of the client: its header fields, or null when refused (not counted). */
  takeRequest(client: string): RateLimitFields | null {
    const record = this.storage.hit(this.key('default', client), MINUTE_MS, this.requestLimit);
    return record.isBlocked ? null : rateLimitFields('default', this.requestLimit, MINUTE_MS, record);
  }
}

@Module({ providers: [RateLimits], exports: [RateLimits] })
export class RateLimitsModule {}
