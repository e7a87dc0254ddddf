import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { rateLimitFields } from './rate-limits';

export const JOB_CREATION = 'security:jobCreation';

/** Marks the route whose calls count against `job_creation_per_minute`. */
export const CountsAsJobCreation = () => SetMetadata(JOB_CREATION, true);

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
    const fields = rateLimitFields(name, limit, ttl, record);
    appendHeader(res, 'RateLimit-Policy', fields.policy);
    appendHeader(res, 'RateLimit', fields.state);
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
