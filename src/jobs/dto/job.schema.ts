import { ApiProperty } from '@nestjs/swagger';
import { JOB_STATUSES, STAGES } from '../../domain/stages';

export class GateSchema {
  @ApiProperty({ enum: STAGES }) stage: string;
  @ApiProperty() required: boolean;
  @ApiProperty({ nullable: true, type: Boolean, description: 'true approved, false rejected, null pending' })
  approved: boolean | null;
  @ApiProperty({ nullable: true, type: String }) by: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) at: string | null;
  @ApiProperty({ nullable: true, type: String }) notes: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) patch: Record<string, unknown> | null;
  @ApiProperty() auto_approved: boolean;
  @ApiProperty({ nullable: true, type: Number }) timeout_seconds: number | null;
}

export class ArtifactSchema {
  @ApiProperty({ enum: STAGES }) stage: string;
  @ApiProperty({ example: 'markdown' }) kind: string;
  @ApiProperty({ example: 'artifacts/script.md', description: "Relative to the job's run dir" }) path: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) meta: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty() size_bytes: number;
  @ApiProperty({ description: 'sha256, hex' }) checksum: string;
}

export class JobSchema {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() slug: string;
  @ApiProperty() intent: string;
  @ApiProperty({ enum: JOB_STATUSES }) status: string;
  @ApiProperty({ enum: STAGES, description: 'The stage the job is at or will run next' }) stage: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: '{brief, render, models, modules, captured_at}',
  })
  cfg: Record<string, unknown>;
  @ApiProperty({ type: [GateSchema] }) gates: GateSchema[];
  @ApiProperty({ type: [ArtifactSchema] }) artifacts: ArtifactSchema[];
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiProperty() operator: string;
}
