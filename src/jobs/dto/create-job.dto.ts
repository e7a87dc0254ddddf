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
  @IsString()
  @Length(1, 128)
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
    message: 'slug must start with a letter or digit and contain only letters, digits, ".", "_" and "-"',
  })
  slug: string;

  @IsString()
  @Length(1, 10_000)
  intent: string;

  @IsOptional()
  @IsBrief()
  brief?: Record<string, unknown> | string;

  @IsOptional()
  @IsObject()
  brief_config?: Record<string, unknown>;

  @IsOptional()
  @IsObject()
  meta?: Record<string, unknown>;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  operator?: string;
}
