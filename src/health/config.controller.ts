import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/dto/api-errors.decorator';
import { ConfigReportService, ValidationReport } from './config-report.service';
import { ValidationReportSchema } from './dto/health.schema';

@ApiTags('config')
@ApiBearerAuth()
@ApiErrors(401, 429)
@Controller('config')
export class ConfigController {
  constructor(private readonly reports: ConfigReportService) {}

  @Get('operator')
  @ApiOperation({ summary: 'The running config, without any token' })
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  operator(): Record<string, unknown> {
    return this.reports.sanitized();
  }

  @Post('validate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Check the config file, the database and the runs dir (always 200)' })
  @ApiOkResponse({ type: ValidationReportSchema })
  validate(): Promise<ValidationReport> {
    return this.reports.validate();
  }
}
