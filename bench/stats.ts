/** Milliseconds on the monotonic clock (process.hrtime), the same clock in every thread of the process. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of an ascending sample. */
function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  let total = 0;
  for (const value of sorted) total += value;
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p90: percentileOfSorted(sorted, 90),
    p99: percentileOfSorted(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1] : NaN,
    mean: sorted.length > 0 ? total / sorted.length : NaN,
  };
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** `p50 1.23 ms, p90 …, p99 …, max … (n = 2000)` */
export function describeMs(summary: Summary): string {
  const ms = (value: number) => `${round(value)} ms`;
  return (
    `p50 ${ms(summary.p50)}, p90 ${ms(summary.p90)}, p99 ${ms(summary.p99)}, max ${ms(summary.max)}` +
    ` (n = ${summary.count.toLocaleString('en-US')})`
  );
}

/** 12,345 */
export function thousands(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
