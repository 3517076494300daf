import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetStatistics } from '../../../src/offline/statistics/dataset-statistics.ts';
import { offlineConfig, tempDir, writeParquet } from '../offline-test-kit.ts';

describe('statistics of a training dataset', () => {
  it('describe the feature columns asked for, typed as the file stores them', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = path.join(dir, 'training.parquet');
      const big = 2n ** 60n + 7n;
      await writeParquet(
        file,
        [
          { name: 'driver_id', type: 'BIGINT' },
          { name: 'rate', type: 'DOUBLE' },
          { name: 'trips', type: 'BIGINT' },
          { name: 'city', type: 'VARCHAR' },
        ],
        [
          [1n, 0.5, big, 'a'],
          [2n, null, 3n, 'b'],
          [3n, 1.5, -big, 'a'],
          [4n, 2.5, null, null],
        ],
      );
      const stats = await datasetStatistics(offlineConfig(dir), file, ['rate', 'trips', 'city']);
      expect(stats.rows).toBe(4);
      expect(stats.features.map((f) => [f.name, f.type, f.count, f.nulls])).toEqual([
        ['rate', 'float64', 3, 1],
        ['trips', 'int64', 3, 1],
        ['city', 'string', 3, 1],
      ]);
      const [rate, trips, city] = stats.features;
      expect(rate).toMatchObject({ min: 0.5, max: 2.5, mean: 1.5, stddev: 1, distinct: 3 });
      expect(trips).toMatchObject({ min: String(-big), max: String(big) });
      expect(city?.topValues).toEqual([
        { value: 'a', count: 2 },
        { value: 'b', count: 1 },
      ]);
      await expect(datasetStatistics(offlineConfig(dir), file, ['nope'])).rejects.toThrow(/no column nope/);
      await expect(datasetStatistics(offlineConfig(dir), path.join(dir, 'x.arrow'))).rejects.toThrow(
        /\.parquet and \.csv/,
      );
    } finally {
      await cleanup();
    }
  });
});
