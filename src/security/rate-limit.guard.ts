import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import type { Request, Response } from 'express';

export const JOB_CREATION = 'security:jobCreation';

/** Marks the route whose calls count against `job_creation_per_minute`. */
export const CountsAsJobCreation = () => SetMetadata(JOB_CREATION, true);

/** The policy names of the RateLimit fields: what a client reads in `RateLimit-Policy`. */
const POLICY: Record<string, string> = { default: 'requests', jobs: 'jobs' };

/**
 * @nestjs/throttler's counting, answered with the IETF RateLimit header fields
 * (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "requests";q=102;w=60` and
 * `RateLimit: "requests";r=87;t=42`, one item per limit the route counts against. A refusal is a 429
 * with a standard `Retry-After` and a `detail` a client can act on (docs/API.md, "Rate limits").
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    const { context, limit, ttl, throttler, blockDuration, getTracker, generateKey } = request;
    const { req, res } = this.getRequestResponse(context) as { req: Request; res: Response };
    const name = throttler.name ?? 'default';
    const key = generateKey(context, await getTracker(req, context), name);
    const record = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    const policy = `"${POLICY[name] ?? name}"`;
    const windowS = Math.round(ttl / 1000);
    appendHeader(res, 'RateLimit-Policy', `${policy};q=${limit};w=${windowS}`);
    const remaining = record.isBlocked ? 0 : Math.max(0, limit - record.totalHits);
    const resetS = Math.max(1, record.isBlocked ? record.timeToBlockExpire : record.timeToExpire);
    appendHeader(res, 'RateLimit', `${policy};r=${remaining};t=${resetS}`);
    if (record.isBlocked) {
      await this.throwThrottlingException(context, { ...record, limit, ttl, key, tracker: '' });
    }
    return true;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    limit: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, limit.timeToBlockExpire || limit.timeToExpire);
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(seconds));
    const what = limit.key.startsWith('jobs:') ? 'job creations' : 'requests';
    throw new ThrottlerException(`Rate limit exceeded: at most ${limit.limit} ${what} a minute; retry in ${seconds} s`);
  }
}

/** Adds an item to a structured-field list header (one item per limit). */
function appendHeader(res: Response, name: string, item: string): void {
  const current = res.getHeader(name);
  res.setHeader(name, current === undefined ? item : `${String(current)}, ${item}`);
}
