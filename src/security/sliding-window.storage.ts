import { ThrottlerStorage } from '@nestjs/throttler';

/** The record ThrottlerStorage.increment resolves to, named from the package's public interface. */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** Stale keys are swept once the map holds this many clients. */
const SWEEP_AT = 10_000;

/**
 * A sliding-window log (docs/OPERATIONS.md): a request counts against the `ttl` before it, not against a fixed
 * minute, so no burst at a window's edge doubles the limit. A refused request is not recorded.
 */
export class SlidingWindowStorage implements ThrottlerStorage {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly now: () => number = Date.now) {}

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerStorageRecord> {
    return this.hit(key, ttl, limit);
  }

  /** increment() without the promise, for a caller that counts outside the guard (the polling fast path). */
  hit(key: string, ttl: number, limit: number): ThrottlerStorageRecord {
    const now = this.now();
    if (this.hits.size >= SWEEP_AT) this.sweep(now, ttl);
    const recent = (this.hits.get(key) ?? []).filter((at) => at > now - ttl);
    const isBlocked = recent.length >= limit;
    if (!isBlocked) recent.push(now);
    this.hits.set(key, recent);
    const secondsUntilRoom = Math.max(1, Math.ceil((recent[0] + ttl - now) / 1000));
    return {
      totalHits: isBlocked ? recent.length + 1 : recent.length,
      timeToExpire: secondsUntilRoom,
      isBlocked,
      timeToBlockExpire: isBlocked ? secondsUntilRoom : 0,
    };
  }

  /** Whether a request now would be refused (nothing is recorded). */
  isFull(key: string, ttl: number, limit: number): boolean {
    const now = this.now();
    return (this.hits.get(key) ?? []).filter((at) => at > now - ttl).length >= limit;
  }

  private sweep(now: number, ttl: number): void {
    for (const [key, times] of this.hits) {
      if (times.every((at) => at <= now - ttl)) this.hits.delete(key);
    }
  }
}
