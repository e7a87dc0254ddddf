import type { IncomingMessage } from 'node:http';
import { ExecutionContext, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { OperatorConfig } from '../config/operator-config';
import { AuthGuard } from './auth.guard';
import { JOB_CREATION, RateLimitGuard } from './rate-limit.guard';
import { MINUTE_MS, RateLimits, RateLimitsModule } from './rate-limits';

@Module({
  imports: [
    RateLimitsModule,
    ThrottlerModule.forRootAsync({
      imports: [RateLimitsModule],
      inject: [OperatorConfig, RateLimits],
      useFactory: (config: OperatorConfig, rateLimits: RateLimits) => {
        const limits = config.security.rate_limiting;
        const isOff = () => !limits.enabled;
        const isJobCreation = (context: ExecutionContext) =>
          Reflect.getMetadata(JOB_CREATION, context.getHandler()) === true;
        return {
          // One count with the polling fast path (security/rate-limits.ts).
          storage: rateLimits.storage,
          getTracker: (request: Record<string, unknown>) => rateLimits.clientOf(request as unknown as IncomingMessage),
          // Per client across all routes (the default key is per route), named so a 429 can say which limit.
          generateKey: (_context: ExecutionContext, tracker: string, name: string) => rateLimits.key(name, tracker),
          throttlers: [
            // Every API request of a client (IP); burst_size is head-room over the per-minute rate.
            {
              name: 'default',
              ttl: MINUTE_MS,
              limit: rateLimits.requestLimit,
              skipIf: isOff,
            },
            {
              name: 'jobs',
              ttl: MINUTE_MS,
              limit: limits.job_creation_per_minute,
              skipIf: (c) => isOff() || !isJobCreation(c),
            },
          ],
        };
      },
    }),
  ],
  exports: [RateLimitsModule],
  providers: [
    // Rate limits first, so floods without a token are limited too.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class SecurityModule {}
