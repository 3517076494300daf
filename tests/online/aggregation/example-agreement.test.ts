/**
 * Training and serving agree on the bundled example's aggregation view (SPEC §7): after compute
 * and materialize, an online read at instant t answers, for every driver, what the training join
 * gives for entity rows stamped t. Three instants: inside the data, on a tile boundary (where the
 * 1h window starts exactly on a tile), and after the data's end. Real DuckDB and Redis.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/trove-config.ts';
import { exampleSizes } from '../../../src/example/generate-example-data.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import { applyRepo } from '../../../src/registry/apply-repo.ts';
import { copyExampleRepo, makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { REDIS_URL } from '../../server/server-fixture.ts';
import { expectAggregateEqual } from './expect-aggregate.ts';

const ROWS = 50_000;
const MINUTE = 60_000;
/** The data ends at the current minute, so its newest trips are inside every online window. */
const END = Math.floor(Date.now() / MINUTE) * MINUTE;
const FIVE_MINUTES = 5 * MINUTE;
const HOUR = 60 * MINUTE;
/** A whole hour when one passed recently enough to read online, else a whole five minutes. */
const BOUNDARY =
  END - Math.floor(END / HOUR) * HOUR <= 40 * MINUTE
    ? Math.floor(END / HOUR) * HOUR
    : Math.floor(END / FIVE_MINUTES) * FIVE_MINUTES - FIVE_MINUTES;
const INSTANTS: Record<string, number> = {
  'inside the data': END - 7 * MINUTE - 1234,
  'on a tile boundary': BOUNDARY,
  'after the data ends': END + 25 * MINUTE,
};
const DRIVERS = Array.from({ length: exampleSizes(ROWS).drivers }, (_, i) => 1000 + i);

const id = randomUUID().slice(0, 8);
const env = {
  ...process.env,
  REDIS_URL,
  TROVE_REDIS_KEY_PREFIX: `trove-test-agg-agree-${id}`,
  TROVE_API_KEYS: '',
};
let repo: TempRepo;
let store: FeatureStore;

beforeAll(async () => {
  repo = await makeTempRepo();
  await copyExampleRepo(repo, ROWS, new Date(END));
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
  await store.materialize({
    start: new Date(END - 8 * 86_400_000),
    end: new Date(END),
    views: ['driver_trip_stats'],
    log: () => {},
  });
}, 120_000);

afterAll(async () => {
  await store?.teardown();
  await store?.close();
  await repo?.remove();
});

describe('the example aggregation view online and offline', () => {
  for (const [name, at] of Object.entries(INSTANTS)) {
    it(`agree for every driver ${name} (${new Date(at).toISOString()})`, async () => {
      const online = await store.getOnlineFeatures(
        { entities: { driver_id: DRIVERS }, features: ['driver_trip_stats:*'] },
        { now: new Date(at) },
      );
      const offline = await store.getHistoricalFeatures({
        entities: {
          columns: { driver_id: DRIVERS, event_timestamp: DRIVERS.map(() => new Date(at).toISOString()) },
        },
        features: ['driver_trip_stats:*'],
      });
      const names = online.metadata.feature_names.slice(1);
      expect(names.length).toBe(8);
      let nonEmpty = 0;
      names.forEach((feature, f) => {
        const column = online.results[f + 1]!;
        const expected = [...(offline.getChild(feature) ?? [])];
        expect(expected).toHaveLength(DRIVERS.length);
        DRIVERS.forEach((driver, row) => {
          const want = expected[row] ?? null;
          expectAggregateEqual(column.values[row], want, `${feature} of ${driver}`);
          expect(column.statuses[row]).toBe(want === null ? 'NULL_VALUE' : 'PRESENT');
          if (feature === 'count_1h' && want !== 0n) nonEmpty++;
        });
      });
      // The short window holds trips for some drivers: the comparison is not of empty windows only.
      if (name !== 'after the data ends') expect(nonEmpty).toBeGreaterThan(0);
    });
  }
});
