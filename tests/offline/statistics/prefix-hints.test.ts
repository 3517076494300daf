import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefixFewValues } from '../../../src/offline/statistics/prefix-hints.ts';

describe('few-valued numbers judged from the first rows', () => {
  let instance: DuckDBInstance;
  beforeAll(async () => {
    instance = await DuckDBInstance.create(':memory:');
  });
  afterAll(() => instance.closeSync());

  it('takes repeating values, leaves distinct ones, and counts shares among the values present', async () => {
    const connection = await instance.connect();
    try {
      await connection.run(
        `CREATE TABLE t AS SELECT i % 1000 AS repeating, i AS distinct_, random() AS random_,
           CASE WHEN i % 2 = 0 THEN NULL ELSE i END AS half_null, NULL::DOUBLE AS nulls,
           CASE WHEN i < 40000 THEN 1 ELSE i END AS later_distinct
         FROM range(100000) r(i)`,
      );
      const few = await prefixFewValues(connection, 't', [
        'repeating',
        'distinct_',
        'random_',
        'half_null',
        'nulls',
        'later_distinct',
      ]);
      // Half the rows null and the rest distinct is still every value distinct; a column of nulls
      // has nothing to group. Only the first rows count: a column that repeats there is taken.
      expect([...few].sort()).toEqual(['later_distinct', 'nulls', 'repeating']);
      expect(await prefixFewValues(connection, 't', [])).toEqual(new Set());
    } finally {
      connection.closeSync();
    }
  });
});
