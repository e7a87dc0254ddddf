import { EventFilter, EventInput, JobEvent, PublishedEvent, SerializedEvent } from '../domain/events';
import { JobStatus, Stage } from '../domain/stages';

export interface JobRecord {
  id: string;
  seq: number;
  slug: string;
  intent: string;
  status: JobStatus;
  stage: Stage;
  cfg: Record<string, unknown>;
  operator: string;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  deadline_at: string | null;
}

export interface GateRecord {
  stage: Stage;
  required: boolean;
  approved: boolean | null;
  by: string | null;
  at: string | null;
  notes: string | null;
  patch: Record<string, unknown> | null;
  auto_approved: boolean;
  timeout_seconds: number | null;
  /** The stored auto-approve deadline of a waiting gate, so a restart neither loses nor doubles it. */
  auto_approve_at: string | null;
}

export interface ArtifactRecord {
  stage: Stage;
  kind: string;
  /** Relative to the job's run dir. */
  path: string;
  meta: Record<string, unknown>;
  created_at: string;
  size_bytes: number;
  checksum: string;
}

/** What a unit of work reads of a job: its state, without the brief (the hot path reads this per log line). */
export type JobState = Pick<JobRecord, 'id' | 'slug' | 'status' | 'stage' | 'started_at' | 'deadline_at'> & {
  /** The instance running the job, and until when its claim holds unless renewed. */
  lease_owner: string | null;
  lease_expires_at: string | null;
};

/** A job with its gates (in stage order) and artifacts (in creation order). */
export interface JobAggregate extends JobRecord {
  gates: GateRecord[];
  artifacts: ArtifactRecord[];
}

export type NewJob = Omit<JobRecord, 'seq' | 'status' | 'stage' | 'started_at' | 'deadline_at' | 'updated_at'>;
export type NewGate = Pick<GateRecord, 'stage' | 'required' | 'timeout_seconds'>;
export type JobChanges = Partial<Pick<JobRecord, 'status' | 'stage' | 'started_at' | 'deadline_at'>> & {
  updated_at: string;
};
export type GateDecision = Pick<GateRecord, 'approved' | 'by' | 'at' | 'notes' | 'patch' | 'auto_approved'>;

/** The writes of one unit of work. Every method runs inside its transaction. */
export interface StoreTx {
  job(jobId: string): Promise<JobState | null>;
  gate(jobId: string, stage: Stage): Promise<GateRecord | null>;
  insertJob(job: NewJob, gates: readonly NewGate[]): Promise<void>;
  updateJob(jobId: string, changes: JobChanges): Promise<void>;
  decideGate(jobId: string, stage: Stage, decision: GateDecision): Promise<void>;
  setGateDeadline(jobId: string, stage: Stage, deadline: string | null): Promise<void>;
  upsertArtifact(jobId: string, artifact: ArtifactRecord): Promise<void>;
  /** Stores the event: the store assigns its id and a `ts` that never goes back as ids grow. */
  appendEvent(input: EventInput): Promise<JobEvent>;
  /** Removes the job: its row, gates, artifacts and events (the event recording it is appended after). */
  deleteJob(jobId: string): Promise<void>;
  /** The oldest queued job (creation order) not in `skip`, now leased to `owner` until `until`. */
  claimNextQueued(owner: string, until: string, now: string, skip: readonly string[]): Promise<JobState | null>;
}

/** What a unit of work committed: its events (with their JSON, serialized once) and the gates it decided. */
export interface Commit {
  /** process.hrtime.bigint() when the unit of work began (metrics time it to after its sinks). */
  startedAt: bigint;
  events: PublishedEvent[];
  decidedGates: { jobId: string; gate: GateRecord }[];
}

/**
 * Called once per committed transaction with its units of work, in commit order (= id order), before
 * the next transaction starts and before any of the units' callers hears back. One call for the
 * batch lets a sink write a batch's lines in one system call per file.
 */
export type CommitListener = (commits: readonly Commit[]) => void;

export interface DueGate {
  jobId: string;
  stage: Stage;
}

/**
 * The store port (docs/ARCHITECTURE.md, "Ports"): every table the service keeps, behind asynchronous
 * methods, so an adapter may be a file in this process (SQLite, the default) or a server
 * (PostgreSQL). Writes happen only in `unitOfWork`, all or nothing; reads outside one see committed
 * data only.
 */
export abstract class Store {
  /** Runs `work` in one transaction that takes the write lock first; commits, or rolls back if it throws. */
  abstract unitOfWork<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;

  /** The one listener of commits (the after-commit dispatcher). */
  abstract onCommit(listener: CommitListener): void;

  abstract ping(): Promise<void>;

  /** Gives disk space a burst took back to the disk (SQLite: the WAL truncated); a no-op where there is none. */
  abstract compact(): Promise<void>;

  /** Resolves when a write would take the store's write lock now; else StoreUnavailable. */
  abstract checkWritable(): Promise<void>;

  // Jobs
  abstract job(jobId: string): Promise<JobAggregate | null>;
  abstract jobExists(jobId: string): Promise<boolean>;
  abstract listJobs(query: { status?: JobStatus; limit: number }): Promise<JobAggregate[]>;
  abstract jobIdsWithStatus(status: JobStatus): Promise<string[]>;
  /** Finished jobs (completed, failed, canceled) last changed before `cutoff` (jobs retention). */
  abstract finishedJobIdsBefore(cutoff: string): Promise<string[]>;
  abstract countJobsByStatus(): Promise<Map<JobStatus, number>>;
  /** Active jobs whose job_timeout_hours deadline has passed, but those another instance runs under a live lease. */
  abstract overdueJobIds(now: string, owner: string): Promise<string[]>;
  /** Waiting gates whose auto-approve deadline has passed. */
  abstract dueGates(now: string): Promise<DueGate[]>;

  // Leases: which instance runs which job
  /** Extends the owner's leases on these jobs; resolves to the ones it still holds. */
  abstract renewLeases(owner: string, jobIds: readonly string[], until: string): Promise<string[]>;
  abstract releaseLease(owner: string, jobId: string): Promise<void>;
  /** Running jobs whose lease ran out before `now` (their instance is gone), or that no instance holds (it stopped them). */
  abstract expiredLeases(now: string): Promise<string[]>;

  // Events
  /** The oldest `limit` matching events with id > afterId, ascending. */
  abstract eventsAfter(filter: EventFilter, afterId: number, limit: number): Promise<JobEvent[]>;
  /** The newest `limit` matching events, ascending. */
  abstract newestEvents(filter: EventFilter, limit: number): Promise<JobEvent[]>;
  /** As eventsAfter and newestEvents, each event as its stored JSON (polling sends it as it is). */
  abstract eventJsonsAfter(filter: EventFilter, afterId: number, limit: number): Promise<SerializedEvent[]>;
  abstract newestEventJsons(filter: EventFilter, limit: number): Promise<SerializedEvent[]>;
  /** The id a timestamp cursor stands for: the last event stored at or before `ts` (0 if none). */
  abstract lastIdAtOrBefore(ts: string): Promise<number>;
  /** Jobs that exist and have events (a deleted job's `job_deleted` event is not one). */
  abstract jobIdsWithEvents(): Promise<string[]>;
  /** The oldest event still stored, of this job or of all (null: none). */
  abstract oldestEventId(jobId?: string): Promise<number | null>;

  // Retention
  /** The newest event id retention removed, from this job or from any (0: nothing removed). */
  abstract prunedThrough(jobId?: string): Promise<number>;
  /** Removes events of finished jobs older than `cutoff`, and all but the newest `cap` of any job. */
  abstract pruneEvents(cutoff: string, cap: number): Promise<{ removedOld: number; removedOverCap: number }>;

  abstract close(): Promise<void>;
}
