/**
 * The population stability index of two binned distributions: Σ (a − e) · ln(a / e) over the bins,
 * with `e` the training (expected) share of a bin and `a` the recent (actual) share. A bin empty on
 * one side would make the logarithm infinite, so an empty share counts as `EMPTY_BIN_SHARE` instead
 * (the usual practice; the shares are not renormalized, which changes the index by less than the
 * epsilon times the number of bins). Rules of thumb: below 0.1 stable, 0.1–0.2 a moderate shift,
 * above 0.2 a significant one (the default threshold).
 */
export const EMPTY_BIN_SHARE = 1e-4;

/** Default index above which a feature is flagged. */
export const DEFAULT_DRIFT_THRESHOLD = 0.2;

/** Counts of one bin on both sides. */
export interface BinCounts {
  expected: number;
  actual: number;
}

/** The index of `bins`, or null when either side has no rows at all (no distribution to compare). */
export function populationStabilityIndex(bins: readonly BinCounts[]): number | null {
  let expectedTotal = 0;
  let actualTotal = 0;
  for (const b of bins) {
    expectedTotal += b.expected;
    actualTotal += b.actual;
  }
  if (expectedTotal === 0 || actualTotal === 0) return null;
  let psi = 0;
  for (const b of bins) {
    const e = Math.max(b.expected / expectedTotal, EMPTY_BIN_SHARE);
    const a = Math.max(b.actual / actualTotal, EMPTY_BIN_SHARE);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}
