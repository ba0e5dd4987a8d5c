// Small statistics for the bench: medians, percentiles, ratios of paired runs.

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export const median = (values: readonly number[]): number => percentile(values, 0.5);

/** Median of a[i] / b[i]: each pair ran side by side, so the load they shared cancels out. */
export const medianRatio = (a: readonly number[], b: readonly number[]): number => median(a.map((x, i) => x / b[i]!));
