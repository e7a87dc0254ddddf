import { ArtifactRecord, GateRecord, JobAggregate } from '../store/store.port';

export interface GateView {
  stage: string;
  required: boolean;
  approved: boolean | null;
  by: string | null;
  at: string | null;
  notes: string | null;
  patch: Record<string, unknown> | null;
  auto_approved: boolean;
  timeout_seconds: number | null;
}

export interface ArtifactView {
  stage: string;
  kind: string;
  path: string;
  meta: Record<string, unknown>;
  created_at: string;
  size_bytes: number;
  checksum: string;
}

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

export function toArtifactView(artifact: ArtifactRecord): ArtifactView {
  return { ...artifact };
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
    artifacts: job.artifacts.map(toArtifactView),
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
