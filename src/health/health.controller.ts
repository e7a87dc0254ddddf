import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../security/auth.decorators';
import { ErrorSchema } from '../common/dto/error.schema';
import { HealthReportSchema, ReadinessReportSchema } from './dto/health.schema';
import { HealthReport, HealthService } from './health.service';
import { ReadinessReport, ReadinessService } from './readiness.service';

/** `/healthz` (liveness) and `/readyz` (readiness), at the root and under /api/v1, without a token (docs/API.md). */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthService,
    private readonly readiness: ReadinessService,
  ) {}

  @Public()
  @SkipThrottle()
  @ApiOkResponse({ type: HealthReportSchema })
  @ApiServiceUnavailableResponse({ type: HealthReportSchema })
  @Get(['healthz', 'api/v1/healthz'])
  async check(@Res({ passthrough: true }) response: Response): Promise<HealthReport> {
    const report = await this.health.check();
    if (!report.ok) response.status(503);
    return report;
  }

  /** Readiness: 200 only when a write would succeed now; else 503 with `detail` and Retry-After. */
  @Public()
  @SkipThrottle()
  @ApiOkResponse({ type: ReadinessReportSchema })
  @ApiServiceUnavailableResponse({ type: ErrorSchema })
  @Get(['readyz', 'api/v1/readyz'])
  ready(): Promise<ReadinessReport> {
    return this.readiness.check();
  }
}
