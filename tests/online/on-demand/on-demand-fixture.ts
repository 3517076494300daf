/**
 * The repo of the on-demand tests: trips (events in the last two days), an aggregation view of
 * their mean fare, on-demand views over it (row form from YAML, column form from TypeScript,
 * chained), and views whose transforms throw, return the wrong type or never end.
 */
export const HOUR = 3_600_000;
export const NOW = Date.now();
export const at = (hoursBefore: number) => new Date(NOW - hoursBefore * HOUR).toISOString();
export const TRIPS = `driver_id,event_timestamp,fare
1,${at(30)},10
1,${at(5)},15
2,${at(20)},8
`;

/** The driver entity, the trips source and the mean fare over 7 days the on-demand views read. */
export const TRIP_MEAN_DEFS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: trips
    kind: csv
    path: data/trips.csv
    timestampField: event_timestamp
featureViews:
  - name: driver_trip_stats
    kind: aggregation
    entities: [driver]
    source: trips
    aggregations:
      - { column: fare, function: mean, windows: [7d] }
`;

export const DEFS = `${TRIP_MEAN_DEFS}  - name: fare_ratio
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    inputs: ["driver_trip_stats:fare_mean_7d"]
    features: [{ name: fare_vs_mean_7d, type: float64 }]
    transform: transforms.ts#fareRatio
  - name: boom
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    features: [{ name: x, type: float64 }]
    transform: transforms.ts#boom
  - name: wrong
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    features: [{ name: x, type: float64 }]
    transform: transforms.ts#wrong
  - name: slow
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    features: [{ name: x, type: float64 }]
    transform: transforms.ts#slow
featureServices:
  - name: pricing
    features: ["fare_ratio:*", "driver_trip_stats:fare_mean_7d", "fare_bucket"]
`;

export const TRANSFORMS = `export function fareRatio(row: Record<string, unknown>) {
  const mean = row.fare_mean_7d as number | null;
  return { fare_vs_mean_7d: mean == null ? null : (row.fare as number) / mean };
}
export function boom(row: Record<string, unknown>) {
  if ((row.fare as number) > 100) throw new Error('fare out of range, token=s3cr3t');
  return { x: 1 };
}
export function wrong() {
  return { x: 'not a number' };
}
export function slow() {
  for (;;) {}
}
`;

export const VIEWS_TS = `import { onDemandView } from 'trove';
export const fareBucket = onDemandView({
  name: 'fare_bucket',
  request: [{ name: 'fare', type: 'float64' }],
  inputs: ['fare_ratio:fare_vs_mean_7d'],
  features: [{ name: 'bucket', type: 'string' }],
  mode: 'columns',
  transform: (columns, rows) => ({
    bucket: Array.from({ length: rows }, (_, i) => {
      const ratio = columns.fare_vs_mean_7d?.[i] as number | null;
      return ratio == null ? null : ratio > 1 ? 'dear' : 'cheap';
    }),
  }),
});
`;
