import { parquetSource } from 'trove';

/** Hourly driver statistics from the dispatch pipeline; `created` breaks ties between rewrites. */
export const driverStats = parquetSource({
  name: 'driver_stats',
  path: 'data/driver_stats.parquet',
  timestampField: 'event_timestamp',
  createdTimestampField: 'created',
});

/** Snapshots of rider accounts. */
export const customerProfileSource = parquetSource({
  name: 'customer_profile_source',
  path: 'data/customer_profile.parquet',
  timestampField: 'event_timestamp',
  createdTimestampField: 'created',
});

/** One row per completed trip. */
export const trips = parquetSource({
  name: 'trips',
  path: 'data/trips.parquet',
  timestampField: 'event_timestamp',
});
