import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { JobEntity } from './job.entity';

@Entity('gates')
export class GateEntity {
  @PrimaryColumn('text') job_id: string;
  @PrimaryColumn('text') stage: string;
  /** The stage's index in the pipeline, so gates list in stage order. */
  @Column('integer') position: number;
  @Column('boolean') required: boolean;
  @Column('boolean', { nullable: true }) approved: boolean | null;
  @Column('text', { nullable: true }) by: string | null;
  @Column('text', { nullable: true }) at: string | null;
  @Column('text', { nullable: true }) notes: string | null;
  @Column('simple-json', { nullable: true }) patch: Record<string, unknown> | null;
  @Column('boolean', { default: false }) auto_approved: boolean;
  @Column('integer', { nullable: true }) timeout_seconds: number | null;
  /** The stored auto-approve deadline of a waiting gate, so a restart neither loses nor doubles it. */
  @Column('text', { nullable: true }) auto_approve_at: string | null;
  @ManyToOne(() => JobEntity, (job) => job.gates, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id' })
  job: JobEntity;
}
