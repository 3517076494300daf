/**
 * On-demand features in training datasets written to files: Parquet and CSV hold them in request
 * order; a throwing, a wrongly typed and a runaway transform each fail the dataset with a 422
 * naming the view and row, and leave no file, partial or temporary.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/trove-config.ts';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import { applyRepo } from '../../../src/registry/apply-repo.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { DEFS, TRANSFORMS, TRIPS, VIEWS_TS } from '../../online/on-demand/on-demand-fixture.ts';
import { REDIS_URL } from '../../server/server-fixture.ts';
import { queryRows } from '../offline-test-kit.ts';

const id = randomUUID().slice(0, 8);
const env = {
  ...process.env,
  REDIS_URL,
  TROVE_REDIS_KEY_PREFIX: `trove-test-odfv-ds-${id}`,
  TROVE_API_KEYS: '',
};
let repo: TempRepo;
let store: FeatureStore;
const entities = (fares: number[]) => ({
  columns: {
    driver_id: fares.map((_, i) => (i % 2) + 1),
    fare: fares,
    event_timestamp: fares.map(() => new Date().toISOString()),
  },
});

beforeAll(async () => {
  repo = await makeTempRepo();
  // A short offline limit keeps the runaway case quick.
  await repo.write('trove.yaml', `project: odfv_ds_${id}\nonDemand:\n  offlineTimeoutMs: 200\n`);
  await repo.write('data/trips.csv', TRIPS);
  await repo.write('defs.yaml', DEFS);
  await repo.write('transforms.ts', TRANSFORMS);
  await repo.write('views.ts', VIEWS_TS);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
}, 60_000);

afterAll(async () => {
  await store?.close();
  await repo?.remove();
});

describe('training datasets with on-demand features', () => {
  for (const ext of ['parquet', 'csv']) {
    it(`write them to ${ext}`, async () => {
      const out = path.join(repo.dir, `dataset.${ext}`);
      const written = await store.getHistoricalFeatures({
        entities: entities([25, 8, 30]),
        features: ['fare_ratio:fare_vs_mean_7d', 'fare_bucket:bucket'],
        out,
      });
      expect(written.rows).toBe(3);
      const rows = await queryRows(`SELECT fare_vs_mean_7d, bucket FROM ${quoteString(out)}`);
      expect(rows).toEqual([
        [2, 'dear'],
        [1, 'cheap'],
        [2.4, 'dear'],
      ]);
    });
  }

  for (const [view, reason] of [
    ['boom', /^on-demand view boom, row 1: Error: fare out of range/],
    ['wrong', /^on-demand view wrong, row 0: feature x: expected float64/],
    ['slow', /time limit of 200 ms/],
  ] as const) {
    it(`fail the dataset, leaving no file, when ${view} fails`, async () => {
      const out = path.join(repo.dir, `failed-${view}.parquet`);
      const before = await readdir(repo.dir);
      await expect(
        store.getHistoricalFeatures({ entities: entities([5, 500]), features: [`${view}:x`], out }),
      ).rejects.toMatchObject({
        status: 422,
        code: 'TRANSFORM_FAILED',
        message: expect.stringMatching(reason),
      });
      expect(await readdir(repo.dir)).toEqual(before);
    });
  }
});
