import { LogLevel } from '../config/operator-config';
import { JobEvent } from '../domain/events';

const LEVEL_BY_TYPE: Partial<Record<string, LogLevel>> = {
  stage_failed: 'error',
  job_failed: 'error',
  gate_rejected: 'warning',
};

export function consoleLevel(event: Pick<JobEvent, 'type'>): LogLevel {
  return LEVEL_BY_TYPE[event.type] ?? 'info';
}

/** `Job <id> | Stage: script | Status: running | Type: stage_started | Message: … | Payload: k: v, …` (docs/OPERATIONS.md, "The event pipeline"). */
export function formatConsoleLine(event: JobEvent): string {
  // One event, one line: a newline inside a message or payload must not split it.
  return (
    `Job ${event.job_id} | Stage: ${event.stage ?? '-'} | Status: ${event.status ?? '-'} | ` +
    `Type: ${event.type} | Message: ${event.message} | Payload: ${formatPayload(event.payload)}`
  ).replace(/[\r\n]+/g, ' ');
}

function formatPayload(payload: Record<string, unknown>): string {
  const entries = Object.entries(payload);
  if (entries.length === 0) return '-';
  return entries
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
}
