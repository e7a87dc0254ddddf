import { ApiProperty } from '@nestjs/swagger';

class HealthServicesSchema {
  @ApiProperty({ example: 'healthy' }) database: string;
  @ApiProperty({ example: 'healthy' }) storage: string;
  @ApiProperty({ example: 'healthy' }) configuration: string;
}

export class HealthReportSchema {
  @ApiProperty() ok: boolean;
  @ApiProperty({ enum: ['healthy', 'unhealthy'] }) status: string;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
  @ApiProperty() version: string;
  @ApiProperty({ type: HealthServicesSchema }) services: HealthServicesSchema;
}

export class ReadinessReportSchema {
  @ApiProperty({ enum: ['ready'] }) status: string;
  @ApiProperty({ example: 'sqlite' }) storage: string;
  @ApiProperty({ example: 'local' }) bus: string;
  @ApiProperty({ example: 'host:1234' }) instance_id: string;
}

export class ValidationReportSchema {
  @ApiProperty() valid: boolean;
  @ApiProperty() message: string;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
}
