import { IsIn, IsObject, IsOptional, IsString, Length, MaxLength } from 'class-validator';

/** Body of approve and reject (the reference's shape). */
export class GateDecisionDto {
  @IsString()
  @Length(1, 64)
  stage: string;

  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  notes?: string;

  @IsOptional()
  @IsString()
  @Length(1, 100)
  operator?: string;

  @IsOptional()
  @IsObject()
  patch?: Record<string, unknown>;

  @IsOptional()
  @IsIn(['approved', 'rejected', 'pending'])
  decision?: 'approved' | 'rejected' | 'pending';
}
