import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsObject, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { STAGES } from '../../domain/stages';

/** Body of approve and reject (the reference's shape). */
export class GateDecisionDto {
  @ApiProperty({ enum: STAGES })
  @IsString()
  @Length(1, 64)
  stage: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  notes?: string;

  @ApiPropertyOptional({ example: 'admin' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  operator?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'One patch (see GET /patches/types)',
  })
  @IsOptional()
  @IsObject()
  patch?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ['approved', 'rejected', 'pending'] })
  @IsOptional()
  @IsIn(['approved', 'rejected', 'pending'])
  decision?: 'approved' | 'rejected' | 'pending';
}
