/**
 * One function, two paths (SPEC §8): for random requests (entities, request values, an instant
 * within the online horizon), each on-demand value read online equals the training dataset's for
 * entity rows with the same entity, instant and request values. Real Redis and DuckDB.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/trove-config.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import { applyRepo } from '../../../src/registry/apply-repo.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { REDIS_URL } from '../../server/server-fixture.ts';
import { expectAggregateEqual } from '../aggregation/expect-aggregate.ts';
import { DEFS, HOUR, NOW, TRANSFORMS, TRIPS, VIEWS_TS } from './on-demand-fixture.ts';

const FEATURES = ['fare_bucket:bucket', 'fare_ratio:fare_vs_mean_7d', 'driver_trip_stats:fare_mean_7d'];
const id = randomUUID().slice(0, 8);
const env = {
  ...process.env,
  REDIS_URL,
  TROVE_REDIS_KEY_PREFIX: `trove-test-odfv-agree-${id}`,
  TROVE_API_KEYS: '',
};
let repo: TempRepo;
let store: FeatureStore;

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: odfv_agree_${id}\n`);
  await repo.write('data/trips.csv', TRIPS);
  await repo.write('defs.yaml', DEFS);
  await repo.write('transforms.ts', TRANSFORMS);
  await repo.write('views.ts', VIEWS_TS);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
  await store.materialize({ start: new Date(NOW - 10 * 24 * HOUR), end: new Date(NOW), log: () => {} });
}, 60_000);

afterAll(async () => {
  await store?.teardown();
  await store?.close();
  await repo?.remove();
});

describe('on-demand features online and in training', () => {
  it('agree for random entities, request values and instants', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            driver: fc.constantFrom(1, 2, 3),
            fare: fc.integer({ min: 0, max: 400 }).map((k) => k / 4),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.integer({ min: 1, max: 50 }),
        async (rows, minutesBefore) => {
          const instant = new Date(Date.now() - minutesBefore * 60_000);
          const driver_id = rows.map((r) => r.driver);
          const fare = rows.map((r) => r.fare);
          const online = await store.getOnlineFeatures(
            { entities: { driver_id, fare }, features: FEATURES },
            { now: instant },
          );
          const offline = await store.getHistoricalFeatures({
            entities: {
              columns: { driver_id, fare, event_timestamp: rows.map(() => instant.toISOString()) },
            },
            features: FEATURES,
          });
          expect(offline.schema.names).toEqual([
            'driver_id',
            'fare',
            'event_timestamp',
            'bucket',
            'fare_vs_mean_7d',
            'fare_mean_7d',
          ]);
          ['bucket', 'fare_vs_mean_7d', 'fare_mean_7d'].forEach((name, f) => {
            const trained = [...(offline.getChild(name) ?? [])];
            const served = online.results[2 + f]!.values;
            for (let r = 0; r < rows.length; r++)
              expectAggregateEqual(served[r], trained[r] ?? null, `${name} row ${r}`);
          });
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});
