import { ApiProperty } from '@nestjs/swagger';
import { GateSchema } from '../../jobs/dto/job.schema';

export class GateStatusSchema {
  @ApiProperty({ format: 'uuid' }) job_id: string;
  @ApiProperty() job_status: string;
  @ApiProperty() current_stage: string;
  @ApiProperty({ type: [GateSchema] }) gates: GateSchema[];
  @ApiProperty() total_gates: number;
  @ApiProperty() approved_gates: number;
  @ApiProperty() rejected_gates: number;
  @ApiProperty() pending_gates: number;
}

export class GateDecisionsSchema {
  @ApiProperty({ format: 'uuid' }) job_id: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string', enum: ['approved', 'rejected'] } })
  decisions: Record<string, string>;
  @ApiProperty() total_decisions: number;
}

export class DecisionFileSchema {
  @ApiProperty() stage: string;
  @ApiProperty({ nullable: true, type: Boolean }) approved: boolean | null;
  @ApiProperty({ nullable: true, type: String }) by: string | null;
  @ApiProperty({ nullable: true, type: String }) at: string | null;
  @ApiProperty({ nullable: true, type: String }) notes: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: true }) patch: Record<string, unknown> | null;
  @ApiProperty() auto_approved: boolean;
}

export class ResumeResultSchema {
  @ApiProperty({ example: 'Job resumed successfully' }) message: string;
  @ApiProperty({ example: 1 }) patches_applied: number;
}

export class PatchTypeSchema {
  @ApiProperty() type: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) example: Record<string, unknown>;
  @ApiProperty({ type: [String] }) stages: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) files: Record<string, string>;
}

export class PatchTypesSchema {
  @ApiProperty({ type: [PatchTypeSchema] }) patch_types: PatchTypeSchema[];
}

export class PatchAppliedSchema {
  @ApiProperty() message: string;
  @ApiProperty({ example: 'artifacts/script.md' }) path: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) patch: Record<string, unknown>;
}
