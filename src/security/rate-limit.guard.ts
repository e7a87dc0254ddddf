import { ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ThrottlerException, ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Response } from 'express';

export const JOB_CREATION = 'security:jobCreation';

/** Marks the route whose calls count against `job_creation_per_minute`. */
export const CountsAsJobCreation = () => SetMetadata(JOB_CREATION, true);

/** @nestjs/throttler's guard, answering 429 with a plain `Retry-After` and a `detail` a client can act on. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
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
