import { aggregationView, featureView, onDemandView } from 'trove';

export const driverHourlyStats = featureView({
  name: 'driver_hourly_stats',
  entities: ['driver'],
  source: 'driver_stats',
  ttl: '1d',
  features: [
    // Checks (docs/monitoring.md): a compute or push with a rate outside [0, 1] is refused.
    {
      name: 'conv_rate',
      type: 'float32',
      description: 'Share of offers the driver accepted and completed.',
      checks: { notNull: true, min: 0, max: 1 },
    },
    { name: 'acc_rate', type: 'float32', checks: { min: 0, max: 1 } },
    { name: 'avg_daily_trips', type: 'int64', checks: { min: 0 } },
  ],
  owner: 'marketplace@example.com',
  tags: { team: 'marketplace' },
});

export const customerProfile = featureView({
  name: 'customer_profile',
  entities: ['customer'],
  source: 'customer_profile_source',
  ttl: '7d',
  features: [
    { name: 'current_balance', type: 'float32' },
    { name: 'lifetime_trip_count', type: 'int64' },
    { name: 'avg_passenger_count', type: 'float32' },
  ],
  owner: 'growth@example.com',
});

/** The last trip between a driver and a customer, with a price per kilometre derived in SQL. */
export const driverCustomerTrips = featureView({
  name: 'driver_customer_trips',
  entities: ['driver', 'customer'],
  source: 'trips',
  ttl: '30d',
  transformation: `
    SELECT driver_id, customer_id, event_timestamp,
           fare AS last_fare,
           rating AS last_rating,
           fare / greatest(distance_km, 0.1) AS fare_per_km
    FROM source`,
  features: [
    { name: 'last_fare', type: 'float64' },
    { name: 'last_rating', type: 'int32', checks: { allowed: [1, 2, 3, 4, 5] } },
    { name: 'fare_per_km', type: 'float64' },
  ],
  owner: 'pricing@example.com',
});

/**
 * What each driver did lately, from every trip as an event: how many trips, how much in fares and
 * the last rating, over windows that end at the training row's time or, online, at the read.
 */
export const driverTripStats = aggregationView({
  name: 'driver_trip_stats',
  entities: ['driver'],
  source: 'trips',
  aggregations: [
    { function: 'count', windows: ['1h', '1d', '7d'] },
    { column: 'fare', function: 'sum', windows: ['1d', '7d'] },
    { column: 'fare', function: 'mean', windows: ['1d', '7d'] },
    { column: 'rating', function: 'last', windows: ['7d'] },
  ],
  owner: 'marketplace@example.com',
});

/**
 * The fare of the trip being priced (sent with the request, or a column of the training rows)
 * against what the driver's fares averaged over the week before: computed when asked, never stored.
 */
export const fareVsDriverMean = onDemandView({
  name: 'fare_vs_driver_mean',
  request: [{ name: 'fare', type: 'float64' }],
  inputs: ['driver_trip_stats:fare_mean_7d'],
  features: [
    {
      name: 'fare_ratio',
      type: 'float64',
      description: 'fare / fare_mean_7d; null without trips in the week.',
    },
  ],
  transform: (row) => {
    const fare = row.fare as number | null;
    const mean = row.fare_mean_7d as number | null;
    return { fare_ratio: fare == null || mean == null ? null : fare / mean };
  },
  owner: 'pricing@example.com',
});
