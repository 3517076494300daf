/**
 * The view and data of the aggregation kill test: 300k trip events of 20k drivers over the two
 * days before a fixed instant, a tenth of them from pushes (with push ids), so a run writes both
 * the materialized layer and push layers of tens of thousands of hashes.
 */
import {
  aggregationViewSchema,
  registerAggregationView,
} from '../../src/definitions/aggregation/aggregation-view.ts';
import { entitySchema } from '../../src/definitions/entity.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { Registry } from '../../src/registry/registry.ts';
import { PROJECT } from '../online/online-fixture.ts';
import { writeOfflineRows } from './offline-fixture.ts';

/**
 * The wall clock every run of a test materializes at, so their states can be compared: the
 * current minute (Redis expires state by its own clock, so it cannot be a fixed past instant).
 */
export function killClock(): { now: Date; start: Date; end: Date } {
  const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  return { now, start: new Date(now.getTime() - 3 * 86_400_000), end: now };
}

export const aggKillRegistry = Registry.of(PROJECT, {
  entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
  sources: [sourceSchema.parse({ kind: 'push', name: 'src', timestampField: 'event_timestamp' })],
  featureViews: [
    registerAggregationView(
      aggregationViewSchema.parse({
        kind: 'aggregation',
        name: 'trip_aggs',
        entities: ['driver'],
        source: 'src',
        aggregations: [
          { function: 'count', windows: ['1h', '1d'] },
          { column: 'fare', function: 'sum', windows: ['1h', '1d', '2d'] },
          { column: 'fare', function: 'stddev_samp', windows: ['1d'] },
          { column: 'city', function: 'last_n', n: 3, windows: ['1d'] },
        ],
      }),
      (c) => (c === 'fare' ? 'float64' : 'string'),
    ),
  ],
  featureServices: [],
});

/** Events over the two days before `now`. */
export async function writeAggKillData(
  offlineStorePath: string,
  now: Date,
  rows = 300_000,
  drivers = 20_000,
): Promise<void> {
  await writeOfflineRows(
    offlineStorePath,
    'trip_aggs',
    `SELECT (hash(i) % ${drivers})::BIGINT AS driver_id,
       TIMESTAMPTZ '${now.toISOString()}' - INTERVAL 2 DAY + to_microseconds((hash(i * 7) % 172800000000)::BIGINT) AS event_timestamp,
       NULL::TIMESTAMPTZ AS created_timestamp,
       (i % 1000) / 8 AS fare, 'city-' || (i % 17) AS city,
       CASE WHEN i % 10 = 0 THEN 'push-' || (i % 50) END AS __trove_push_id
     FROM range(${rows}) t(i)`,
  );
}
