/**
 * The histogram statistics keep for numeric features: fixed bins on a logarithmic scale, the same
 * for every partition, view and dataset, so histograms of partitions merge exactly by adding counts
 * per bin, with no need to know the data's range in advance.
 *
 * Bin 0 holds every |x| < 2^-32 (zero included). Otherwise k = floor(16 · log2|x|), and x falls in
 * bin sign(x) · (k + 513): 16 bins per power of two, each spanning a factor of 2^(1/16) ≈ 1.044, so
 * a value read back from its bin is within 4.4% of the true one. Ascending bin numbers are
 * ascending values. NaN and infinities are counted among a feature's values but kept out of the
 * histogram (and so out of quantiles, mean and stddev).
 */

export const BINS_PER_OCTAVE = 16;
/** |x| below this falls in bin 0. */
export const ZERO_BIN_LIMIT = 2 ** -32;
const OFFSET = 32 * BINS_PER_OCTAVE + 1;

/**
 * SQL of a number's bin in two parts, cheap enough to evaluate for every value: its sign bit, and
 * its octave step `k = floor(16 · log2|x|)` (below 2^-32 every k gives bin 0; NaN and infinities
 * give a k that is not finite). `binOfPartsSql` turns them into the bin number, once per group of
 * equal parts rather than once per value. `valueSql` must be a DOUBLE.
 */
export function binPartsSql(valueSql: string): { negative: string; step: string } {
  return {
    negative: `signbit(${valueSql})`,
    step: `floor(log2(abs(${valueSql}) + 1e-300) * ${BINS_PER_OCTAVE})`,
  };
}

/** SQL of the bin number from `binPartsSql`'s parts; null for NaN and infinities. */
export function binOfPartsSql(negative: string, step: string): string {
  return `(CASE WHEN NOT isfinite(${step}) THEN NULL WHEN ${step} + ${OFFSET} <= 0 THEN 0 WHEN ${negative} THEN -(${step} + ${OFFSET}) ELSE ${step} + ${OFFSET} END)::INTEGER`;
}

/** The values a bin covers, `[lower, upper]` (open at one end; where does not matter here). */
export function binEdges(bin: number): [number, number] {
  if (bin === 0) return [-ZERO_BIN_LIMIT, ZERO_BIN_LIMIT];
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

/** Bins in value order. */
function sortedBins(histogram: LogHistogram): [number, number][] {
  return [...histogram].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
}

/**
 * The q-quantile as the smallest value with at least q·n values at or below it (the value of rank
 * ⌈q·n⌉, counting from 1), read from the histogram: the bin holding that rank, interpolated by rank
 * within it and kept within [min, max]; 0 for the zero bin, and an integer for integer features.
 * It lies in the same bin as the true quantile, so the error is at most one bin (4.4% of the
 * value; 2^-32 around zero), and none where a bin holds a single integer.
 */
export function histogramQuantile(
  histogram: LogHistogram,
  q: number,
  min: number,
  max: number,
  integer = false,
): number {
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
      if (bin === 0) return Math.min(Math.max(0, min), max);
      const value = low + ((high - low) * (rank - before - 0.5)) / count;
      if (!integer || Math.ceil(low) > Math.floor(high)) return value;
      return Math.min(Math.max(Math.round(value), Math.ceil(low)), Math.floor(high));
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
 * Equal-width bins over [min, max] for display: as many as the stored bins can fill (each display
 * bin at least as wide as the widest stored bin in the range), at most `most`. A stored bin's count
 * is shared among the display bins it overlaps, in proportion to the overlap, and rounded so that
 * the counts still add up exactly to the finite values: a value may be shown one display bin off
 * when it lies within 4.4% of an edge.
 */
export function displayHistogram(histogram: LogHistogram, min: number, max: number, most = 20): DisplayBin[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  const widest = Math.max(Math.abs(min), Math.abs(max), ZERO_BIN_LIMIT) * (2 ** (1 / BINS_PER_OCTAVE) - 1);
  const count = min === max ? 1 : Math.max(1, Math.min(most, Math.floor((max - min) / widest)));
  const width = (max - min) / count;
  const edges = Array.from({ length: count + 1 }, (_, i) => (i === count ? max : min + i * width));
  const shares = new Array<number>(count).fill(0);
  for (const [bin, n] of histogram) {
    const [binLow, binHigh] = binEdges(bin);
    const low = Math.min(Math.max(binLow, min), max);
    const high = Math.min(Math.max(binHigh, min), max);
    if (high <= low || width === 0) {
      const index = width === 0 ? 0 : Math.min(count - 1, Math.max(0, Math.floor((low - min) / width)));
      shares[index]! += n;
      continue;
    }
    for (let i = 0; i < count; i++) {
      const overlap = Math.min(high, edges[i + 1]!) - Math.max(low, edges[i]!);
      if (overlap > 0) shares[i]! += (n * overlap) / (high - low);
    }
  }
  // Largest remainders: whole counts that add up to the total.
  const total = Math.round(shares.reduce((s, v) => s + v, 0));
  const counts = shares.map(Math.floor);
  let left = total - counts.reduce((s, v) => s + v, 0);
  const order = shares.map((v, i) => [v - Math.floor(v), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    counts[i]!++;
    left--;
  }
  return counts.map((c, i) => ({ lower: edges[i]!, upper: edges[i + 1]!, count: c }));
}
