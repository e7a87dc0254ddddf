export const STAGES = [
  'outline',
  'research',
  'script',
  'storyboard',
  'assets',
  'animatics',
  'audio',
  'assemble',
  'acceptance',
] as const;
export type Stage = (typeof STAGES)[number];

export const JOB_STATUSES = [
  'queued',
  'running',
  'paused',
  'needs_approval',
  'completed',
  'failed',
  'canceled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'canceled'];

/** Statuses a job can still leave: the ones cancel and the job timeout act on. */
export const ACTIVE_STATUSES: readonly JobStatus[] = JOB_STATUSES.filter(
  (status) => !TERMINAL_STATUSES.includes(status),
);

export function isStage(value: unknown): value is Stage {
  return typeof value === 'string' && (STAGES as readonly string[]).includes(value);
}

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function stageIndex(stage: Stage): number {
  return STAGES.indexOf(stage);
}

/** The stage after this one, or null after the last (acceptance). */
export function nextStage(stage: Stage): Stage | null {
  return STAGES[stageIndex(stage) + 1] ?? null;
}
