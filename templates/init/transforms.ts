// The transforms of the repo's on-demand views, which the YAML definitions name as
// `transforms.ts#exportName`. Each is called with one row of request fields and input features, by
// name, and returns the view's features.

/** fare_vs_driver_mean: the trip's fare against the driver's mean fare of the week (null without one). */
export function fareVsDriverMean(row: Record<string, unknown>): { fare_ratio: number | null } {
  const fare = row.fare as number | null;
  const mean = row.fare_mean_7d as number | null;
  return { fare_ratio: fare == null || mean == null ? null : fare / mean };
}
