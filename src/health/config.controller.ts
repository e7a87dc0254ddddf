import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ConfigReportService, ValidationReport } from './config-report.service';

@Controller('config')
export class ConfigController {
  constructor(private readonly reports: ConfigReportService) {}

  @Get('operator')
  operator(): Record<string, unknown> {
    return this.reports.sanitized();
  }

  @Post('validate')
  @HttpCode(200)
  validate(): ValidationReport {
    return this.reports.validate();
  }
}
