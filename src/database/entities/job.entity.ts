import { Column, Entity, Index, OneToMany, PrimaryColumn } from 'typeorm';
import { ArtifactEntity } from './artifact.entity';
import { GateEntity } from './gate.entity';

@Entity('jobs')
export class JobEntity {
  @PrimaryColumn('text') id: string;
  /** Creation order: the FIFO order of the queue. */
  @Index({ unique: true }) @Column('integer') seq: number;
  @Column('text') slug: string;
  @Column('text') intent: string;
  @Index() @Column('text') status: string;
  @Column('text') stage: string;
  @Column('simple-json') cfg: Record<string, unknown>;
  @Column('text') operator: string;
  @Column('text', { nullable: true }) error: string | null;
  @Column('text') created_at: string;
  @Column('text') updated_at: string;
  @Column('text', { nullable: true }) started_at: string | null;
  /** When pipeline.job_timeout_hours runs out; stored so a restart keeps it. */
  @Column('text', { nullable: true }) deadline_at: string | null;
  /** The newest event id retention removed from this job (events.jsonl keeps them all). */
  @Column('integer', { nullable: true }) events_pruned_through: number | null;
  @OneToMany(() => GateEntity, (gate) => gate.job) gates: GateEntity[];
  @OneToMany(() => ArtifactEntity, (artifact) => artifact.job) artifacts: ArtifactEntity[];
}
