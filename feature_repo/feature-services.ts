import { featureService } from 'trove';

/** What version 1 of the driver ranking model consumes. */
export const driverRankingV1 = featureService({
  name: 'driver_ranking_v1',
  features: ['driver_hourly_stats', 'customer_profile:current_balance', 'driver_customer_trips:fare_per_km'],
  owner: 'ranking@example.com',
});
