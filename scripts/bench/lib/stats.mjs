/** Medians and percentiles of samples (nearest-rank on a sorted copy). */

export function percentile(samples, p) {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

export function median(samples) {
  if (samples.length === 0) return NaN;
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Elapsed milliseconds since a process.hrtime.bigint() reading. */
export function msSince(start) {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function now() {
  return process.hrtime.bigint();
}
