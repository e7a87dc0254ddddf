import { Module } from '@nestjs/common';
import { ConfigReportService } from './config-report.service';
import { ConfigController } from './config.controller';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { ReadinessService } from './readiness.service';

@Module({
  controllers: [HealthController, ConfigController],
  providers: [HealthService, ReadinessService, ConfigReportService],
})
export class HealthModule {}
