import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { computeStatistics } from '../../../src/offline/statistics/compute-statistics.ts';
import { footerHints } from '../../../src/offline/statistics/dataset-footer.ts';
import { datasetStatistics } from '../../../src/offline/statistics/dataset-statistics.ts';
import type {
  StatisticsColumn,
  StatisticsSummary,
} from '../../../src/offline/statistics/feature-statistics.ts';
import { summarize } from '../../../src/offline/statistics/merge-statistics.ts';
import { offlineConfig, queryRows, tempDir } from '../offline-test-kit.ts';

const COLUMNS: StatisticsColumn[] = [
  { name: 'few', type: 'float32' },
  { name: 'many', type: 'float64' },
  { name: 'no_number', type: 'float64' },
  { name: 'no_text', type: 'string' },
  { name: 'no_time', type: 'timestamp' },
  { name: 'flag', type: 'bool' },
];

/** Figures to 9 digits: sums over threads add in another order, and this mean is small beside its values. */
function rounded(s: StatisticsSummary): unknown {
  return JSON.parse(
    JSON.stringify(s, (_, v) =>
      typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v,
    ),
  );
}

describe('statistics of a dataset from its Parquet footer', () => {
  it('skip columns of nulls alone and take few-valued numbers by value, with the same statistics', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = path.join(dir, 'training.parquet');
      // 4 row groups of 10,000 rows with 50 values each, then a last one of 3,000 distinct values,
      // which the writer stores without a dictionary and so without a distinct count.
      await queryRows(
        `COPY (SELECT (CASE WHEN i >= 40000 THEN i ELSE i % 50 END / 8)::FLOAT AS few,
            CASE WHEN i % 7 = 0 THEN NULL ELSE sin(i) * 1000 END AS many,
            NULL::DOUBLE AS no_number, NULL::VARCHAR AS no_text, NULL::TIMESTAMPTZ AS no_time,
            i % 3 = 0 AS flag
          FROM range(43000) t(i))
         TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 10000)`,
      );
      const counts = await queryRows(
        `SELECT count(*), count(stats_distinct_count) FROM parquet_metadata('${file}') WHERE path_in_schema = 'few'`,
      );
      expect(counts[0]!.map(Number)).toEqual([5, 4]);

      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      try {
        const hints = await footerHints(
          connection,
          `'${file}'`,
          COLUMNS.map((c) => c.name),
        );
        expect([...hints.allNull].sort()).toEqual(['no_number', 'no_text', 'no_time']);
        expect([...hints.fewValues]).toEqual(['few']);

        // The same columns described value by value, with no hint.
        const plain = await computeStatistics(connection, {
          relation: `read_parquet('${file}')`,
          columns: COLUMNS,
        });
        const expected = summarize(COLUMNS, plain.get('')!);
        const stats = await datasetStatistics(
          offlineConfig(dir),
          file,
          COLUMNS.map((c) => c.name),
        );
        expect(stats.features.find((f) => f.name === 'no_number')).toMatchObject({ count: 0, nulls: 43000 });
        expect(rounded({ rows: stats.rows, features: stats.features })).toEqual(rounded(expected));
      } finally {
        connection.closeSync();
        instance.closeSync();
      }
    } finally {
      await cleanup();
    }
  });
});
