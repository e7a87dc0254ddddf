import { STAGES } from '../domain/stages';

/** An event as the API serves it (the CLI reads only the public API). */
export interface ServedEvent {
  id: number;
  job_id: string;
  ts: string;
  type: string;
  stage: string | null;
  status: string | null;
  message: string;
  payload: Record<string, unknown>;
}

const ICONS: Record<string, string> = {
  job_created: '✚',
  job_started: '▶',
  stage_started: '→',
  stage_log: '·',
  artifact_created: '◆',
  stage_completed: '✓',
  stage_failed: '✗',
  gate_pause: '⏸',
  gate_approved: '👍',
  gate_rejected: '👎',
  gate_auto_approved: '⏱',
  patch_applied: '✎',
  patch_applied_direct: '✎',
  job_resumed: '↻',
  job_completed: '★',
  job_failed: '✗',
  job_canceled: '■',
  job_deleted: '×',
};
const PLAIN: Record<string, string> = { ...Object.fromEntries(Object.keys(ICONS).map((type) => [type, '-'])) };
const COLOURS: Record<string, number> = {
  stage_failed: 31,
  job_failed: 31,
  job_canceled: 33,
  gate_rejected: 33,
  gate_pause: 35,
  stage_completed: 32,
  job_completed: 32,
  gate_approved: 32,
  gate_auto_approved: 32,
  stage_log: 90,
};

export interface FormatOptions {
  /** Icons and colours: only on a TTY, never with NO_COLOR. */
  fancy: boolean;
  verbose: boolean;
}

/** "stage 3/9" for an event of a stage. */
export function progress(stage: string | null): string {
  const index = stage ? (STAGES as readonly string[]).indexOf(stage) : -1;
  return index >= 0 ? `stage ${index + 1}/${STAGES.length}` : '';
}

/** One line per event: time, icon, type, progress, message (and payload details with verbose). */
export function formatEvent(event: ServedEvent, options: FormatOptions): string {
  const time = event.ts.slice(11, 19);
  const icon = (options.fancy ? ICONS : PLAIN)[event.type] ?? '-';
  const where = [event.stage, progress(event.stage)].filter(Boolean).join(' ');
  let line = `${time} ${icon} ${event.type.padEnd(20)} ${where ? `[${where}] ` : ''}${event.message}`;
  if (options.verbose && Object.keys(event.payload).length > 0) line += `  ${JSON.stringify(event.payload)}`;
  const colour = COLOURS[event.type];
  return options.fancy && colour ? `\u001b[${colour}m${line}\u001b[0m` : line;
}

/**
 * Whether to use icons and colours on this stream (docs/OPERATIONS.md, "Watching"): a TTY, and never
 * with NO_COLOR set to a non-empty value (no-color.org: an empty NO_COLOR is as good as unset).
 */
export function isFancy(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return Boolean(stream.isTTY) && !env.NO_COLOR;
}
