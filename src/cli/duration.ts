/** "<n>s", "<n>m" or "<n>h" → milliseconds (docs/OPERATIONS.md, "Watching"); null when malformed. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+(?:\.\d+)?)([smh])$/.exec(text.trim());
  if (!match) return null;
  const unit = { s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}
