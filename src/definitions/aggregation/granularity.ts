/** Seconds in 12 hours and in 12 days: where the default granularity steps up (SPEC §7). */
const TWELVE_HOURS = 12 * 3600;
const TWELVE_DAYS = 12 * 86_400;

/**
 * The granularity a window has when its view sets none: 5m for windows up to 12h, 1h up to 12d,
 * 1d beyond. A window at instant `t` starts at `ceil((t - w) / g) * g`, so it reaches back between
 * `w - g` and `w`: coarser for long windows, where a few minutes matter less and fewer tiles do.
 */
export function defaultGranularity(windowSeconds: number): number {
  if (windowSeconds <= TWELVE_HOURS) return 300;
  if (windowSeconds <= TWELVE_DAYS) return 3600;
  return 86_400;
}
