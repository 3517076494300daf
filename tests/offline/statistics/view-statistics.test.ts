import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectUtc } from '../../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import { computeViews } from '../../../src/offline/compute-views.ts';
import { partitionFolder, viewGlob } from '../../../src/offline/offline-layout.ts';
import { parseTimestamp } from '../../../src/offline/parse-timestamp.ts';
import { computeStatistics } from '../../../src/offline/statistics/compute-statistics.ts';
import type { FeatureSummary, GroupStatistics } from '../../../src/offline/statistics/feature-statistics.ts';
import { mergeGroups } from '../../../src/offline/statistics/merge-statistics.ts';
import {
  STATISTICS_FILE,
  statisticsColumns,
  viewStatistics,
} from '../../../src/offline/statistics/view-statistics.ts';
import type { Registry } from '../../../src/registry/registry.ts';
import {
  at,
  type Cell,
  DAY1,
  HOUR,
  makeRegistry,
  offlineConfig,
  tempDir,
  writeParquet,
} from '../offline-test-kit.ts';

const DAY = 24n * HOUR;
const BIG = 2n ** 62n;

/** A deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  k: bigint;
  day: number;
  ts: bigint;
  f: number | null;
  n: bigint | null;
  i: number;
  s: string | null;
  b: boolean;
  z: number | null;
}

/** Rows over days 0 and 2 (day 1 has none): floats of both signs and zeros, int64 beyond 2^53, nulls. */
function generateRows(count: number): Row[] {
  const next = random(16);
  const rows: Row[] = [];
  for (let r = 0; r < count; r++) {
    const day = next() < 0.5 ? 0 : 2;
    const u = next();
    rows.push({
      k: BigInt(r),
      day,
      ts: DAY1 + BigInt(day) * DAY + BigInt(Math.floor(next() * 86_400_000_000)),
      f: u < 0.1 ? null : u < 0.15 ? 0 : (next() - 0.3) * 10 ** Math.floor(next() * 6 - 2),
      n: next() < 0.2 ? null : (next() < 0.5 ? -1n : 1n) * (BIG + BigInt(Math.floor(next() * 1e6))),
      i: Math.floor(next() * 50) - 10,
      s: next() < 0.05 ? null : `v${Math.floor(next() ** 2 * 30)}`,
      b: next() < 0.3,
      z: null,
    });
  }
  return rows;
}

const COLUMNS = [
  { name: 'k', type: 'BIGINT' },
  { name: 'ts', type: 'TIMESTAMPTZ' },
  { name: 'f', type: 'DOUBLE' },
  { name: 'n', type: 'BIGINT' },
  { name: 'i', type: 'INTEGER' },
  { name: 's', type: 'VARCHAR' },
  { name: 'b', type: 'BOOLEAN' },
  { name: 'z', type: 'DOUBLE' },
];

function viewRegistry(sourceFile: string): Registry {
  return makeRegistry({
    entities: [{ name: 'e', joinKeys: [{ name: 'k', type: 'int64' }] }],
    sources: [{ kind: 'parquet', name: 'src', path: sourceFile, timestampField: 'ts' }],
    featureViews: [
      {
        name: 'v',
        entities: ['e'],
        source: 'src',
        features: [
          { name: 'f', type: 'float64' },
          { name: 'n', type: 'int64' },
          { name: 'i', type: 'int32' },
          { name: 's', type: 'string' },
          { name: 'b', type: 'bool' },
          { name: 'z', type: 'float64' },
        ],
      },
    ],
  });
}

/** The smallest value with at least q·n values at or below it, as the statistics define quantiles. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

const QS = { p01: 0.01, p05: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 } as const;

function feature(stats: { features: FeatureSummary[] }, name: string): FeatureSummary {
  const f = stats.features.find((x) => x.name === name);
  if (!f) throw new Error(`no feature ${name}`);
  return f;
}

/** Checks a numeric summary against the values it describes. */
function expectNumeric(f: FeatureSummary, values: readonly (number | null)[]): void {
  const present = values.filter((v): v is number => v !== null);
  expect(f.count).toBe(present.length);
  expect(f.nulls).toBe(values.length - present.length);
  const sorted = [...present].sort((a, b) => a - b);
  expect(f.min).toBe(sorted[0]);
  expect(f.max).toBe(sorted.at(-1));
  const mean = present.reduce((s, v) => s + v, 0) / present.length;
  const variance = present.reduce((s, v) => s + (v - mean) ** 2, 0) / (present.length - 1);
  expect(f.mean).toBeCloseTo(mean, 9);
  expect(f.stddev! / Math.sqrt(variance)).toBeCloseTo(1, 9);
  for (const [key, q] of Object.entries(QS)) {
    const exact = exactQuantile(sorted, q);
    const shown = f.quantiles![key as keyof typeof QS]!;
    // One log-scale bin: 2^(1/16) - 1 of the value, 2^-31 around zero.
    expect(Math.abs(shown - exact)).toBeLessThanOrEqual(0.0443 * Math.abs(exact) + 2 ** -31);
  }
  expect(f.histogram!.reduce((s, b) => s + b.count, 0)).toBe(present.length);
  const distinct = new Set(present).size;
  expect(Math.abs(f.distinct - distinct)).toBeLessThanOrEqual(0.05 * distinct + 2);
}

describe('statistics of a view', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let registry: Registry;
  const rows = generateRows(3000);
  const config = () => offlineConfig(dir);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const file = path.join(dir, 'src.parquet');
    const cells: Cell[][] = rows.map((r) => [r.k, at(r.ts), r.f, r.n, r.i, r.s, r.b, r.z]);
    await writeParquet(file, COLUMNS, cells);
    registry = viewRegistry(file);
    await computeViews(config(), registry);
  });
  afterAll(() => cleanup());

  it('are recorded beside each partition and match values computed here, per partition and merged', async () => {
    const store = config().offlineStorePath;
    const recorded = JSON.parse(
      await readFile(path.join(partitionFolder(store, 'v', '2025-12-01'), STATISTICS_FILE), 'utf8'),
    ) as { rows: number; files: string[] };
    const day0 = rows.filter((r) => r.day === 0);
    expect(recorded.rows).toBe(day0.length);
    expect(recorded.files).toEqual(['part-0.parquet']);

    for (const [subset, range] of [
      [rows, {}],
      [day0, { end: parseTimestamp('2025-12-02T00:00:00Z', 'end') }],
    ] as const) {
      const stats = await viewStatistics(config(), registry, 'v', range);
      expect(stats.describedOnRead).toEqual([]);
      expect(stats.rows).toBe(subset.length);
      expectNumeric(
        feature(stats, 'f'),
        subset.map((r) => r.f),
      );
      expectNumeric(
        feature(stats, 'i'),
        subset.map((r) => r.i),
      );
      // int64 beyond 2^53: min and max keep every digit.
      const n = feature(stats, 'n');
      const ns = subset.map((r) => r.n).filter((v): v is bigint => v !== null);
      const sortedN = [...ns].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      expect(n.min).toBe(String(sortedN[0]));
      expect(n.max).toBe(String(sortedN.at(-1)));
      expect(n.nulls).toBe(subset.length - ns.length);
      expect(n.quantiles!.p50! / Number(exactQuantile(sortedN.map(Number), 0.5))).toBeCloseTo(1, 1);
      // Top values, exact here since every partition lists all of its (at most 30) values.
      const s = feature(stats, 's');
      const counts = new Map<string, number>();
      for (const r of subset) if (r.s !== null) counts.set(r.s, (counts.get(r.s) ?? 0) + 1);
      const expected = [...counts]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 10)
        .map(([value, count]) => ({ value, count }));
      expect(s.topValues).toEqual(expected);
      expect(s.topValuesExact).toBe(true);
      expect(s.nulls).toBe(subset.filter((r) => r.s === null).length);
      expect(s.distinct).toBe(counts.size);
      const b = feature(stats, 'b');
      expect(b.topValues).toEqual(
        [
          { value: 'false', count: subset.filter((r) => !r.b).length },
          { value: 'true', count: subset.filter((r) => r.b).length },
        ].sort((x, y) => y.count - x.count),
      );
      // A feature that is null everywhere.
      const z = feature(stats, 'z');
      expect(z).toMatchObject({
        count: 0,
        nulls: subset.length,
        min: null,
        max: null,
        mean: null,
        distinct: 0,
      });
    }
  });

  it('of a range without partitions are empty', async () => {
    const stats = await viewStatistics(config(), registry, 'v', {
      start: parseTimestamp('2025-12-02T00:00:00Z', 'start'),
      end: parseTimestamp('2025-12-03T00:00:00Z', 'end'),
    });
    expect(stats).toMatchObject({ rows: 0, partitions: 0, from: null, to: null });
    expect(feature(stats, 'f')).toMatchObject({
      count: 0,
      nulls: 0,
      nullFraction: null,
      min: null,
      quantiles: null,
    });
  });

  it('merged over partitions equal the statistics of their union', async () => {
    const view = registry.storedViews()[0]!;
    const columns = statisticsColumns(view);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await connectUtc(instance);
    try {
      const relation = `read_parquet(${quoteString(viewGlob(config().offlineStorePath, 'v'))}, hive_partitioning = true, hive_types = {'date': VARCHAR})`;
      const perDate = await computeStatistics(connection, { relation, group: 'date', columns });
      const union = (await computeStatistics(connection, { relation, columns })).get('')!;
      // An empty partition merges as nothing.
      const empty = (
        await computeStatistics(connection, { relation: `(SELECT * FROM ${relation} WHERE false)`, columns })
      ).get('');
      expect(empty?.rows ?? 0).toBe(0);
      const merged: GroupStatistics = mergeGroups(columns, [...perDate.values(), ...(empty ? [empty] : [])]);
      expect(merged.rows).toBe(union.rows);
      for (const c of columns) {
        const m = merged.features[c.name]!;
        const u = union.features[c.name]!;
        expect({ ...m, mean: undefined, m2: undefined }).toEqual({ ...u, mean: undefined, m2: undefined });
        if (u.mean != null) expect(m.mean! / u.mean).toBeCloseTo(1, 9);
        if (u.m2 != null) expect(m.m2! / u.m2).toBeCloseTo(1, 9);
      }
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });

  it('of partitions without recorded statistics are described from their files', async () => {
    const { dir: other, cleanup: done } = await tempDir();
    try {
      const file = path.join(other, 'src.parquet');
      await writeParquet(
        file,
        COLUMNS,
        rows.map((r) => [r.k, at(r.ts), r.f, r.n, r.i, r.s, r.b, r.z]),
      );
      const reg = viewRegistry(file);
      await computeViews(offlineConfig(other), reg, { statistics: false });
      const fresh = await viewStatistics(offlineConfig(other), reg, 'v');
      const recorded = await viewStatistics(config(), registry, 'v');
      expect(fresh.describedOnRead).toEqual(['2025-12-01', '2025-12-03']);
      // The same figures, but for the rounding of mean and stddev, merged in another order.
      const rounded = (v: typeof fresh) => ({
        ...v,
        describedOnRead: [],
        features: v.features.map((f) => ({
          ...f,
          mean: f.mean === null ? null : Number(f.mean.toPrecision(12)),
          stddev: f.stddev === null ? null : Number(f.stddev.toPrecision(12)),
        })),
      });
      expect(rounded(fresh)).toEqual(rounded(recorded));
    } finally {
      await done();
    }
  });
});
