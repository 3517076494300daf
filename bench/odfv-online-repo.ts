/**
 * The feature repo of the online.odfv benchmark, shared by its server (odfv-http-server.ts) and the
 * scenario's checks: a batch view `driver_stats` pushed online and the row-form on-demand view
 * `fare_ratio` over it, its feature the request's `fare` divided by the driver's `fare_mean`.
 */
/** Drivers pushed online; requests name them in turn. */
export const ODFV_DRIVERS = 1000;
/** The batch view's features, as requests name them. */
export const ODFV_STORED = ['driver_stats:fare_mean', 'driver_stats:trips', 'driver_stats:rating'];
export const ODFV_FEATURE = 'fare_ratio:fare_vs_mean';

/** The stored values of a driver: they depend on the driver alone, so checks can recompute them. */
export function fareMeanOf(driver: number): number {
  return 5 + (driver % 97) / 7;
}

export const ODFV_DEFS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: driver_src
    kind: push
    timestampField: event_timestamp
featureViews:
  - name: driver_stats
    entities: [driver]
    source: driver_src
    ttl: 0
    features:
      - { name: fare_mean, type: float64 }
      - { name: trips, type: int64 }
      - { name: rating, type: float32 }
  - name: fare_ratio
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    inputs: ["driver_stats:fare_mean"]
    features: [{ name: fare_vs_mean, type: float64 }]
    transform: transforms.ts#fareRatio
`;

export const ODFV_TRANSFORMS = `export function fareRatio(row: Record<string, unknown>) {
  const mean = row.fare_mean as number | null;
  return { fare_vs_mean: mean == null ? null : (row.fare as number) / mean };
}
`;
