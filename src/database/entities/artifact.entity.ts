import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { JobEntity } from './job.entity';

@Entity('artifacts')
@Index(['job_id', 'path'], { unique: true })
export class ArtifactEntity {
  @PrimaryGeneratedColumn() id: number;
  @Column('text') job_id: string;
  @Column('text') stage: string;
  @Column('text') kind: string;
  /** Relative to the job's run dir. */
  @Column('text') path: string;
  @Column('simple-json') meta: Record<string, unknown>;
  @Column('text') created_at: string;
  @Column('integer') size_bytes: number;
  @Column('text') checksum: string;
  @ManyToOne(() => JobEntity, (job) => job.artifacts, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'job_id' })
  job: JobEntity;
}
