/**
 * On-demand features over a training dataset of many record batches and more than one group of
 * rows per transform call: every row's value is right and in entity order, nulls stay null, and
 * numeric outputs of each width (float64, float32, int32, int64) keep their Arrow types, beside a
 * string output, in the Arrow table and in Parquet.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/trove-config.ts';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import { applyRepo } from '../../../src/registry/apply-repo.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { TRIP_MEAN_DEFS, TRIPS } from '../../online/on-demand/on-demand-fixture.ts';
import { queryRows } from '../offline-test-kit.ts';

/** More rows than one group of transform input (65,536) and many DuckDB chunks (2,048). */
const ROWS = 70_000;

const DEFS = `${TRIP_MEAN_DEFS}  - name: widths
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    inputs: ["driver_trip_stats:fare_mean_7d"]
    features:
      - { name: ratio64, type: float64 }
      - { name: ratio32, type: float32 }
      - { name: cents32, type: int32 }
      - { name: cents64, type: int64 }
      - { name: label, type: string }
    transform: widths.ts#widths
`;

const WIDTHS_TS = `export function widths(row: Record<string, unknown>) {
  const mean = row.fare_mean_7d as number | null;
  const fare = row.fare as number;
  if (mean == null) return { ratio64: null, ratio32: null, cents32: null, cents64: null, label: null };
  return {
    ratio64: fare / mean,
    ratio32: fare / mean,
    cents32: Math.round(fare * 100),
    cents64: BigInt(Math.round(fare * 100)) * 1000000n,
    label: fare > mean ? 'dear' : 'cheap',
  };
}
`;

/** Driver of row i: 1 (mean 12.5), 2 (mean 8), or 3 (no trips: null). */
const driverOf = (i: number) => (i % 3) + 1;
const fareOf = (i: number) => (i % 1000) / 10;
const MEANS: Record<number, number | null> = { 1: 12.5, 2: 8, 3: null };

const id = randomUUID().slice(0, 8);
const env = { ...process.env, TROVE_REDIS_KEY_PREFIX: `trove-test-odfv-many-${id}`, TROVE_API_KEYS: '' };
let repo: TempRepo;
let store: FeatureStore;
const entities = {
  columns: {
    driver_id: Array.from({ length: ROWS }, (_, i) => driverOf(i)),
    fare: Array.from({ length: ROWS }, (_, i) => fareOf(i)),
    event_timestamp: Array.from({ length: ROWS }, () => new Date().toISOString()),
  },
};
const features = ['widths:ratio64', 'widths:ratio32', 'widths:cents32', 'widths:cents64', 'widths:label'];

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: odfv_many_${id}\n`);
  await repo.write('data/trips.csv', TRIPS);
  await repo.write('defs.yaml', DEFS);
  await repo.write('widths.ts', WIDTHS_TS);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
}, 60_000);

afterAll(async () => {
  await store?.close();
  await repo?.remove();
});

describe('on-demand features over many batches', () => {
  it('are right on every row of the Arrow table, with their Arrow types', async () => {
    const table = (await store.getHistoricalFeatures({ entities, features })) as Table;
    expect(table.numRows).toBe(ROWS);
    expect(table.batches.length).toBeGreaterThan(2);
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({
      ratio64: 'Float64',
      ratio32: 'Float32',
      cents32: 'Int32',
      cents64: 'Int64',
      label: 'Utf8',
    });
    const col = (name: string) => table.getChild(name)!;
    const [driver, fare, r64, r32, c32, c64, label] = [
      'driver_id',
      'fare',
      'ratio64',
      'ratio32',
      'cents32',
      'cents64',
      'label',
    ].map(col);
    let wrong = 0;
    for (let i = 0; i < ROWS; i++) {
      const mean = MEANS[driverOf(i)]!;
      const f = fareOf(i);
      const expected =
        mean === null
          ? [null, null, null, null, null]
          : [
              f / mean,
              Math.fround(f / mean),
              Math.round(f * 100),
              BigInt(Math.round(f * 100)) * 1000000n,
              f > mean ? 'dear' : 'cheap',
            ];
      const got = [r64!.get(i), r32!.get(i), c32!.get(i), c64!.get(i), label!.get(i)];
      if (
        Number(driver!.get(i)) !== driverOf(i) ||
        fare!.get(i) !== f ||
        JSON.stringify(got, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) !==
          JSON.stringify(expected, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
      )
        if (wrong++ < 3) expect({ row: i, got }).toEqual({ row: i, expected });
    }
    expect(wrong).toBe(0);
  }, 60_000);

  it('are right in Parquet, in entity order', async () => {
    const out = path.join(repo.dir, 'many.parquet');
    const written = await store.getHistoricalFeatures({ entities, features, out });
    expect(written.rows).toBe(ROWS);
    const rows = await queryRows(
      `SELECT count(*), count(ratio64), sum(cents32), sum(cents64), count(*) FILTER (WHERE label = 'dear') FROM ${quoteString(out)}`,
    );
    let cents = 0;
    let dear = 0;
    let present = 0;
    for (let i = 0; i < ROWS; i++) {
      const mean = MEANS[driverOf(i)]!;
      if (mean === null) continue;
      present++;
      cents += Math.round(fareOf(i) * 100);
      if (fareOf(i) > mean) dear++;
    }
    expect(rows[0]!.map(String)).toEqual([ROWS, present, cents, BigInt(cents) * 1000000n, dear].map(String));
  }, 60_000);
});
