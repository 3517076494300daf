/**
 * The histogram statistics keep for numeric features: fixed bins on a logarithmic scale, the same
 * for every partition, view and dataset, so histograms of partitions merge exactly by adding counts
 * per bin, with no need to know the data's range in advance.
 *
 * Bin 0 holds every |x| < 2^-32 (zero included). Otherwise k = floor(16 · log2|x|), and x falls in
 * bin sign(x) · (k + 513): 16 bins per power of two, each spanning a factor of 2^(1/16) ≈ 1.044, so
 * a value read back from its bin is within 4.4% of the true one. Ascending bin numbers are
 * ascending values. Floats add NaN (bin 99999), +∞ (99998) and −∞ (−99998).
 */

export const BINS_PER_OCTAVE = 16;
/** |x| below this falls in bin 0. */
export const ZERO_BIN_LIMIT = 2 ** -32;
const OFFSET = 32 * BINS_PER_OCTAVE + 1;
export const NAN_BIN = 99999;
export const INFINITY_BIN = 99998;

/** SQL of the bin of `valueSql` (a numeric column; `floats` when it may hold NaN or infinities). */
export function binSql(valueSql: string, floats: boolean): string {
  const d = `(${valueSql})::DOUBLE`;
  const special = floats
    ? `WHEN isnan(${d}) THEN ${NAN_BIN} WHEN isinf(${d}) THEN (sign(${d}) * ${INFINITY_BIN})::INTEGER `
    : '';
  return `CASE ${special}WHEN abs(${d}) < ${ZERO_BIN_LIMIT} THEN 0 ELSE (sign(${d}) * (floor(log2(abs(${d})) * ${BINS_PER_OCTAVE}) + ${OFFSET}))::INTEGER END`;
}

/** The values a bin covers, `[lower, upper]` (open at one end; where does not matter here). */
export function binEdges(bin: number): [number, number] {
  if (bin === 0) return [-ZERO_BIN_LIMIT, ZERO_BIN_LIMIT];
  if (bin === NAN_BIN) return [Number.NaN, Number.NaN];
  if (bin === INFINITY_BIN) return [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  if (bin === -INFINITY_BIN) return [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const k = Math.abs(bin) - OFFSET;
  const lower = 2 ** (k / BINS_PER_OCTAVE);
  const upper = 2 ** ((k + 1) / BINS_PER_OCTAVE);
  return bin > 0 ? [lower, upper] : [-upper, -lower];
}

/** Bin → count. */
export type LogHistogram = Map<number, number>;

export function mergeHistogram(into: LogHistogram, from: LogHistogram): LogHistogram {
  for (const [bin, count] of from) into.set(bin, (into.get(bin) ?? 0) + count);
  return into;
}

/** Bins in value order, NaN last. */
function sortedBins(histogram: LogHistogram): [number, number][] {
  return [...histogram].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
}

/**
 * The q-quantile as the smallest value with at least q·n values at or below it (the value of rank
 * ⌈q·n⌉, counting from 1), read from the histogram: the bin holding that rank, interpolated by rank
 * within it, and kept within [min, max]. It lies in the same bin as the true quantile, so the error
 * is at most one bin (4.4% of the value; 2^-32 around zero).
 */
export function histogramQuantile(histogram: LogHistogram, q: number, min: number, max: number): number {
  const bins = sortedBins(histogram);
  const n = bins.reduce((s, [, c]) => s + c, 0);
  if (n === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * n));
  let before = 0;
  for (const [bin, count] of bins) {
    if (before + count >= rank) {
      const [binLow, binHigh] = binEdges(bin);
      const low = Math.max(binLow, min);
      const high = Math.min(binHigh, max);
      if (!(low <= high)) return Math.min(Math.max(binLow, min), max);
      const within = (rank - before - 0.5) / count;
      return low + (high - low) * within;
    }
    before += count;
  }
  return max;
}

/** One bin of a displayed histogram. */
export interface DisplayBin {
  lower: number;
  upper: number;
  count: number;
}

/**
 * `bins` equal-width bins over [min, max] for display. Each stored bin's count goes wholly to the
 * display bin holding its middle (kept within [min, max]), so counts add up exactly to the finite
 * values, and a value can be shown one display bin off only when it lies within 4.4% of an edge.
 */
export function displayHistogram(histogram: LogHistogram, min: number, max: number, bins = 20): DisplayBin[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  const count = min === max ? 1 : bins;
  const width = (max - min) / count;
  const out: DisplayBin[] = Array.from({ length: count }, (_, i) => ({
    lower: min + i * width,
    upper: i === count - 1 ? max : min + (i + 1) * width,
    count: 0,
  }));
  for (const [bin, n] of histogram) {
    if (bin === NAN_BIN || Math.abs(bin) === INFINITY_BIN) continue;
    const [low, high] = binEdges(bin);
    const middle = Math.min(Math.max((low + high) / 2, min), max);
    const index = width === 0 ? 0 : Math.min(count - 1, Math.max(0, Math.floor((middle - min) / width)));
    out[index]!.count += n;
  }
  return out;
}
