import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One stored event. `id` is the cursor of polling and SSE resume: AUTOINCREMENT, so never reused. */
@Entity('events')
@Index('idx_events_job_id_id', ['job_id', 'id'])
export class EventEntity {
  @PrimaryGeneratedColumn() id: number;
  @Column('text') job_id: string;
  @Column('text') ts: string;
  @Column('text') type: string;
  @Column('text', { nullable: true }) stage: string | null;
  @Column('text', { nullable: true }) status: string | null;
  @Column('text') message: string;
  /** JSON text. */
  @Column('text') payload: string;
}
