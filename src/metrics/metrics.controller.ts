import { Controller, Get, Header } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Registry } from 'prom-client';
import { MetricsPublicIfConfigured } from '../security/auth.decorators';
import { MetricsService } from './metrics.service';

/** GET /metrics (outside /api/v1), Prometheus text format; token required unless metrics.public. */
@ApiTags('metrics')
@ApiBearerAuth()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics (token required unless metrics.public)' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ schema: { type: 'string' } })
  @MetricsPublicIfConfigured()
  @Header('Content-Type', new Registry().contentType)
  render(): Promise<string> {
    return this.metrics.render();
  }
}
