import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectUtc } from '../../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import { computeStatistics } from '../../../src/offline/statistics/compute-statistics.ts';
import type {
  GroupStatistics,
  StatisticsColumn,
  StoredFeatureStatistics,
} from '../../../src/offline/statistics/feature-statistics.ts';
import { fewValueColumns } from '../../../src/offline/statistics/few-values.ts';
import { decodeHll, estimateDistinct } from '../../../src/offline/statistics/hyperloglog.ts';
import { tempDir, writeParquet } from '../offline-test-kit.ts';

interface Row {
  g: string;
  x: number | null;
  n: bigint | null;
  k: number | null;
}

const COLUMNS: StatisticsColumn[] = [
  { name: 'x', type: 'float64' },
  { name: 'n', type: 'int64' },
  { name: 'k', type: 'int32' },
];

const double = fc.oneof(
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    0,
    1e-40,
    2 ** -32,
    2.5,
  ),
);
const rowArb = fc.record({
  g: fc.constantFrom('a', 'b', 'c'),
  x: fc.option(double, { nil: null }),
  // int64 over its whole range: beyond 2^53 every digit of min and max must survive.
  n: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
  k: fc.option(fc.integer({ min: -3, max: 3 }), { nil: null }),
});

function doubleLiteral(v: number | null): string {
  if (v === null) return 'NULL::DOUBLE';
  if (Number.isNaN(v)) return `'nan'::DOUBLE`;
  if (!Number.isFinite(v)) return `'${v > 0 ? 'inf' : '-inf'}'::DOUBLE`;
  return Object.is(v, -0) ? `'-0.0'::DOUBLE` : `${quoteString(String(v))}::DOUBLE`;
}

/** The statistics of `rows` grouped by g, described value by value and from distinct values. */
async function describe2(
  rows: readonly Row[],
): Promise<[Map<string, GroupStatistics>, Map<string, GroupStatistics>]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await connectUtc(instance);
  try {
    await connection.run('CREATE TABLE t (g VARCHAR, x DOUBLE, n BIGINT, k INTEGER)');
    if (rows.length > 0)
      await connection.run(
        `INSERT INTO t VALUES ${rows
          .map(
            (r) =>
              `(${quoteString(r.g)}, ${doubleLiteral(r.x)}, ${r.n === null ? 'NULL' : `${r.n}::BIGINT`}, ${r.k ?? 'NULL'})`,
          )
          .join(', ')}`,
      );
    const input = { relation: 't', group: 'g', columns: COLUMNS };
    return [
      await computeStatistics(connection, input),
      await computeStatistics(connection, { ...input, fewValues: new Set(['x', 'n', 'k']) }),
    ];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The log-scale bin of a finite number, as log-histogram.ts defines it. */
function binOf(x: number): number {
  if (Math.abs(x) < 2 ** -32) return 0;
  return Math.sign(x) * (Math.floor(16 * Math.log2(Math.abs(x))) + 513);
}

/** Smallest and greatest as DuckDB orders numbers: NaN above every other. */
function extremes(values: readonly number[]): [number, number] | [null, null] {
  if (values.length === 0) return [null, null];
  const sorted = [...values].sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b));
  return [sorted[0]!, sorted.at(-1)!];
}

/** A stored min or max of a double: DuckDB's text of it, `inf`, `-inf` and `nan` included. */
function storedDouble(text: string | null | undefined): number {
  if (text === 'inf') return Number.POSITIVE_INFINITY;
  if (text === '-inf') return Number.NEGATIVE_INFINITY;
  return text === 'nan' ? Number.NaN : Number(text);
}

function expectDouble(f: StoredFeatureStatistics, values: readonly (number | null)[]): void {
  const present = values.filter((v): v is number => v !== null);
  expect(f.count).toBe(present.length);
  const [min, max] = extremes(present);
  if (min === null) expect([f.min, f.max]).toEqual([null, null]);
  else {
    // Numerically equal: DuckDB may keep either of 0 and -0.
    expect(storedDouble(f.min) === min || (Number.isNaN(storedDouble(f.min)) && Number.isNaN(min))).toBe(
      true,
    );
    expect(storedDouble(f.max) === max || (Number.isNaN(storedDouble(f.max)) && Number.isNaN(max))).toBe(
      true,
    );
  }
  const finite = present.filter(Number.isFinite);
  const histogram: Record<string, number> = {};
  for (const v of finite) histogram[String(binOf(v))] = (histogram[String(binOf(v))] ?? 0) + 1;
  expect(f.histogram).toEqual(histogram);
  if (finite.length === 0) expect(f.mean).toBeNull();
  else {
    const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
    const m2 = finite.reduce((s, v) => s + (v - mean) ** 2, 0);
    const scale = Math.max(1, ...finite.map(Math.abs));
    expect(Math.abs(f.mean! - mean)).toBeLessThanOrEqual(1e-9 * scale);
    expect(Math.abs(f.m2! - m2)).toBeLessThanOrEqual(1e-9 * scale * scale * finite.length);
  }
  const distinct = new Set(present).size;
  expect(Math.abs(estimateDistinct(decodeHll(f.distinct)) - distinct)).toBeLessThanOrEqual(
    0.05 * distinct + 2,
  );
}

function expectInt64(f: StoredFeatureStatistics, values: readonly (bigint | null)[]): void {
  const present = values.filter((v): v is bigint => v !== null).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  expect(f.count).toBe(present.length);
  expect([f.min, f.max]).toEqual(
    present.length === 0 ? [null, null] : [String(present[0]), String(present.at(-1))],
  );
  expect(Object.values(f.histogram ?? {}).reduce((s, c) => s + c, 0)).toBe(present.length);
}

describe('computing statistics', () => {
  it('match values computed here, value by value and from distinct values alike', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { maxLength: 60 }), async (rows) => {
        const [byValue, byDistinct] = await describe2(rows);
        const groups = [...new Set(rows.map((r) => r.g))].sort();
        expect([...byValue.keys()].sort()).toEqual(groups);
        expect([...byDistinct.keys()].sort()).toEqual(groups);
        for (const g of groups) {
          const mine = rows.filter((r) => r.g === g);
          for (const stats of [byValue.get(g)!, byDistinct.get(g)!]) {
            expect(stats.rows).toBe(mine.length);
            expectDouble(
              stats.features.x!,
              mine.map((r) => r.x),
            );
            expectDouble(
              stats.features.k!,
              mine.map((r) => r.k),
            );
            expectInt64(
              stats.features.n!,
              mine.map((r) => r.n),
            );
          }
          // Both ways give the same statistics, but for the rounding of the moments and which of
          // 0 and -0 (equal) stands for both.
          const zero = (t: string | null | undefined) => (t === '-0.0' ? '0.0' : t);
          const strip = (s: GroupStatistics) => ({
            ...s,
            features: Object.fromEntries(
              Object.entries(s.features).map(([name, f]) => [
                name,
                { ...f, mean: undefined, m2: undefined, min: zero(f.min), max: zero(f.max) },
              ]),
            ),
          });
          expect(strip(byDistinct.get(g)!)).toEqual(strip(byValue.get(g)!));
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);

  it('of no rows are no groups', async () => {
    const [byValue, byDistinct] = await describe2([]);
    expect(byValue.size).toBe(0);
    expect(byDistinct.size).toBe(0);
  });

  it('take the columns with few distinct values from Parquet footers', async () => {
    const { dir, cleanup } = await tempDir();
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await connectUtc(instance);
    try {
      const file = path.join(dir, 'rows.parquet');
      await writeParquet(
        file,
        [
          { name: 'few', type: 'INTEGER' },
          { name: 'many', type: 'DOUBLE' },
        ],
        Array.from({ length: 2000 }, (_, i) => [i % 7, i * 1.5]),
      );
      expect(await fewValueColumns(connection, quoteString(file), ['few', 'many'])).toEqual(new Set(['few']));
      expect(await fewValueColumns(connection, quoteString(file), ['many'])).toEqual(new Set());
      // A hint only: unreadable files give none.
      expect(await fewValueColumns(connection, quoteString(path.join(dir, 'none.parquet')), ['few'])).toEqual(
        new Set(),
      );
    } finally {
      connection.closeSync();
      instance.closeSync();
      await cleanup();
    }
  });
});
