import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STAGES } from '../../domain/stages';
import { EVENT_TYPES } from '../../domain/events';

/** The event as served on every surface (docs/API.md, "Events"), for the OpenAPI document. */
export class EventSchema {
  @ApiProperty({ example: 42, description: 'Strictly increasing; the cursor of polling and SSE resume' }) id: number;
  @ApiProperty({ format: 'uuid' }) job_id: string;
  @ApiProperty({ format: 'date-time' }) ts: string;
  @ApiProperty({ format: 'date-time', description: 'The reference name of ts' }) timestamp: string;
  @ApiProperty({ enum: EVENT_TYPES }) type: string;
  @ApiProperty({ enum: EVENT_TYPES, description: 'The reference name of type' }) event_type: string;
  @ApiProperty({ enum: STAGES, nullable: true, type: String }) stage: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'running' }) status: string | null;
  @ApiProperty({ example: 'Started script stage' }) message: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload: Record<string, unknown>;
}

export class HistoryTruncatedSchema {
  @ApiProperty({ enum: ['history_truncated'] }) type: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) job_id: string | null;
  @ApiProperty({ nullable: true, type: Number }) oldest_id: number | null;
  @ApiProperty() message: string;
}

export class PollResponseSchema {
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) job_id: string | null;
  @ApiProperty({ type: [EventSchema] }) events: EventSchema[];
  @ApiProperty({ description: 'Number of events returned' }) total: number;
  @ApiProperty({ description: 'More matching events lie beyond this page' }) has_more: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_event_time: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The cursor, as given' }) since: string | null;
  @ApiProperty({ format: 'date-time' }) timestamp: string;
  @ApiProperty({ oneOf: [{ type: 'integer' }, { type: 'string' }], description: 'Feed back as since' })
  next_since: number | string;
  @ApiPropertyOptional({
    type: HistoryTruncatedSchema,
    description: 'Only when retention removed events after the cursor',
  })
  history_truncated?: HistoryTruncatedSchema;
}
