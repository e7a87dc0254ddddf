import { ArtifactRecord, GateRecord, JobAggregate } from '../store/store.port';

/** A gate as served: the stored record without the timer's internal deadline. */
export type GateView = Omit<GateRecord, 'auto_approve_at'>;

/** An artifact as served: the stored record as it is. */
export type ArtifactView = ArtifactRecord;

export interface JobView {
  id: string;
  slug: string;
  intent: string;
  status: string;
  stage: string;
  cfg: Record<string, unknown>;
  gates: GateView[];
  artifacts: ArtifactView[];
  created_at: string;
  updated_at: string;
  operator: string;
}

export function toGateView(gate: GateRecord): GateView {
  return {
    stage: gate.stage,
    required: gate.required,
    approved: gate.approved,
    by: gate.by,
    at: gate.at,
    notes: gate.notes,
    patch: gate.patch,
    auto_approved: gate.auto_approved,
    timeout_seconds: gate.timeout_seconds,
  };
}

/** The one mapping from the stored job to the Job of docs/API.md. */
export function toJobView(job: JobAggregate): JobView {
  return {
    id: job.id,
    slug: job.slug,
    intent: job.intent,
    status: job.status,
    stage: job.stage,
    cfg: job.cfg,
    gates: job.gates.map(toGateView),
    artifacts: job.artifacts,
    created_at: job.created_at,
    updated_at: job.updated_at,
    operator: job.operator,
  };
}

/** runs/<id>/state.json (docs/OPERATIONS.md, "Files on disk"). */
export function toStateFile(job: JobView): Record<string, unknown> {
  return {
    id: job.id,
    slug: job.slug,
    status: job.status,
    stage: job.stage,
    updated_at: job.updated_at,
    gates: job.gates,
    artifacts: job.artifacts,
  };
}
