import { featureService } from 'trove';

/** What version 1 of the driver ranking model consumes. */
export const driverRankingV1 = featureService({
  name: 'driver_ranking_v1',
  features: ['driver_hourly_stats', 'customer_profile:current_balance', 'driver_customer_trips:fare_per_km'],
  owner: 'ranking@example.com',
});

/**
 * Version 2 adds the driver's recent trip activity, windowed up to the moment of the ranking, and
 * the trip's fare against the driver's mean: its requests send `fare`.
 */
export const driverRankingV2 = featureService({
  name: 'driver_ranking_v2',
  features: [
    'driver_hourly_stats',
    'customer_profile:current_balance',
    'driver_customer_trips:fare_per_km',
    'driver_trip_stats:count_1h',
    'driver_trip_stats:count_7d',
    'driver_trip_stats:fare_sum_1d',
    'driver_trip_stats:fare_mean_7d',
    'driver_trip_stats:rating_last_7d',
    'fare_vs_driver_mean:fare_ratio',
  ],
  owner: 'ranking@example.com',
});
