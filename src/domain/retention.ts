/** Retention (events and whole jobs) runs at start-up and then this often; it is idempotent, so a restart simply runs it again. */
export const RETENTION_INTERVAL_MS = 10 * 60_000;

export const DAY_MS = 86_400_000;
