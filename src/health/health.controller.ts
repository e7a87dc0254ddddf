import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { Public } from '../security/auth.decorators';
import { HealthReportSchema } from './dto/health.schema';
import { HealthReport, HealthService } from './health.service';

/** `/healthz` at the root and under /api/v1, without a token (docs/API.md); 503 when unhealthy. */
@ApiTags('health')
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

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
}
