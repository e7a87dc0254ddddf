import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, Length, Matches, ValidateBy, ValidationArguments } from 'class-validator';

/** `brief` is an inline brief object, or a text brief (kept as `{text}`). */
function IsBrief() {
  return ValidateBy({
    name: 'isBrief',
    validator: {
      validate: (value: unknown) =>
        (typeof value === 'string' && value.length <= 100_000) ||
        (typeof value === 'object' && value !== null && !Array.isArray(value)),
      defaultMessage: (args?: ValidationArguments) => `${args?.property} must be an object or a string`,
    },
  });
}

export class CreateJobDto {
  @ApiProperty({ example: 'demo', pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', maxLength: 128 })
  @IsString()
  @Length(1, 128)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: 'slug must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
  })
  slug: string;

  @ApiProperty({ example: 'A 60-second explainer', maxLength: 10_000 })
  @IsString()
  @Length(1, 10_000)
  intent: string;

  @ApiPropertyOptional({
    oneOf: [{ type: 'object' }, { type: 'string' }],
    description: 'Inline brief, or a text brief',
  })
  @IsOptional()
  @IsBrief()
  brief?: Record<string, unknown> | string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Merged over brief' })
  @IsOptional()
  @IsObject()
  brief_config?: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  meta?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'admin' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  operator?: string;
}
