import { ExecutionContext, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { OperatorConfig } from '../config/operator-config';
import { AuthGuard } from './auth.guard';
import { JOB_CREATION, RateLimitGuard } from './rate-limit.guard';
import { SlidingWindowStorage } from './sliding-window.storage';

const MINUTE_MS = 60_000;

@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [OperatorConfig],
      useFactory: (config: OperatorConfig) => {
        const limits = config.security.rate_limiting;
        const isOff = () => !limits.enabled;
        const isJobCreation = (context: ExecutionContext) =>
          Reflect.getMetadata(JOB_CREATION, context.getHandler()) === true;
        return {
          storage: new SlidingWindowStorage(),
          // Per client across all routes (the default key is per route), named so a 429 can say which limit.
          generateKey: (_context: ExecutionContext, tracker: string, name: string) => `${name}:${tracker}`,
          throttlers: [
            // Every API request of a client (IP); burst_size is head-room over the per-minute rate.
            {
              name: 'default',
              ttl: MINUTE_MS,
              limit: limits.api_requests_per_minute + limits.burst_size,
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
  providers: [
    // Rate limits first, so floods without a token are limited too.
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
export class SecurityModule {}
