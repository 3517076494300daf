/**
 * A training dataset mixing an aggregation view (defined in TypeScript with `aggregationView()`)
 * with a batch view and a feature service, through the real `trove` command and the library:
 * values by hand, input order, duplicates and pass-through columns kept, every output path equal.
 */
import path from 'node:path';
import type { Table, Vector } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';
import { columnValues, queryRows } from './offline-test-kit.ts';

const DEFINITIONS_YAML = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: trips
    kind: csv
    path: data/trips.csv
    timestampField: event_timestamp
  - name: driver_stats_source
    kind: csv
    path: data/driver_stats.csv
    timestampField: event_timestamp
featureViews:
  - name: driver_stats
    entities: [driver]
    source: driver_stats_source
    ttl: 1d
    features: [{ name: conv_rate, type: float64 }]
featureServices:
  - name: ranking
    features: ["trip_aggs:fare_sum_1d", driver_stats, "trip_aggs:count_1d", "trip_aggs:fare_last_n_1d"]
`;

const DEFINITIONS_TS = `import { aggregationView } from 'trove';

export const tripAggs = aggregationView({
  name: 'trip_aggs',
  entities: ['driver'],
  source: 'trips',
  aggregations: [
    { column: 'fare', function: 'sum', windows: ['1h', '1d'] },
    { function: 'count', windows: ['1d'] },
    { column: 'fare', function: 'last_n', n: 2, windows: ['1d'] },
  ],
});
`;

const TRIPS = `driver_id,event_timestamp,fare
1,2024-01-01T10:00:00Z,10.0
1,2024-01-01T10:30:00Z,5.5
1,2024-01-01T12:00:00Z,2.0
2,2024-01-01T11:00:00Z,7.0
`;

const DRIVER_STATS = `driver_id,event_timestamp,conv_rate
1,2024-01-01T09:00:00Z,0.5
1,2024-01-01T11:30:00Z,0.75
2,2024-01-01T08:00:00Z,0.25
`;

/**
 * Entity rows, out of time order, one repeated, with a label to pass through, and what each must
 * get: fare_sum_1h (window from ceil((t - 1h) / 5m)), fare_sum_1d and count_1d (from
 * ceil((t - 1d) / 1h)), conv_rate (newest at or before t within its 1d ttl), fare_last_n_1d.
 */
const ROWS: {
  driver: number;
  at: string;
  label: string;
  sum1h: number;
  sum1d: number;
  count1d: bigint;
  conv: number | null;
  lastN: number[];
}[] = [
  {
    driver: 1,
    at: '2024-01-01T12:00:00Z',
    label: 'a',
    sum1h: 2,
    sum1d: 17.5,
    count1d: 3n,
    conv: 0.75,
    lastN: [2, 5.5],
  },
  {
    driver: 2,
    at: '2024-01-01T10:59:59Z',
    label: 'b',
    sum1h: 0,
    sum1d: 0,
    count1d: 0n,
    conv: 0.25,
    lastN: [],
  },
  {
    driver: 1,
    at: '2024-01-01T10:30:00Z',
    label: 'c',
    sum1h: 15.5,
    sum1d: 15.5,
    count1d: 2n,
    conv: 0.5,
    lastN: [5.5, 10],
  },
  {
    driver: 1,
    at: '2024-01-01T12:00:00Z',
    label: 'a',
    sum1h: 2,
    sum1d: 17.5,
    count1d: 3n,
    conv: 0.75,
    lastN: [2, 5.5],
  },
  {
    driver: 3,
    at: '2024-01-01T12:00:00Z',
    label: 'd',
    sum1h: 0,
    sum1d: 0,
    count1d: 0n,
    conv: null,
    lastN: [],
  },
  // The 1d window at t starts at 2024-01-01T11:00 (a whole hour), so only the 12:00 trip is in it.
  {
    driver: 1,
    at: '2024-01-02T11:00:00Z',
    label: 'e',
    sum1h: 0,
    sum1d: 2,
    count1d: 1n,
    conv: 0.75,
    lastN: [2],
  },
  // 1 µs later than a day after the last trip: its window starts at 13:00, the ttl refuses 11:30.
  {
    driver: 1,
    at: '2024-01-02T12:00:00.000001Z',
    label: 'f',
    sum1h: 0,
    sum1d: 0,
    count1d: 0n,
    conv: null,
    lastN: [],
  },
];

const ENTITIES = `driver_id,event_timestamp,label\n${ROWS.map((r) => `${r.driver},${r.at},${r.label}`).join('\n')}\n`;

let repo: TempRepo;

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', 'project: mixed_aggregations\n');
  await repo.write('definitions.yaml', DEFINITIONS_YAML);
  await repo.write('aggregations.ts', DEFINITIONS_TS);
  await repo.write('data/trips.csv', TRIPS);
  await repo.write('data/driver_stats.csv', DRIVER_STATS);
  await repo.write('entities.csv', ENTITIES);
  for (const args of [['apply'], ['compute']]) {
    const result = await runCli([...args, '--repo', repo.dir]);
    expect(result.code, result.stderr).toBe(0);
  }
}, 120_000);

afterAll(() => repo?.remove());

function plain(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && 'toArray' in value)
    return Array.from((value as Vector).toArray() as ArrayLike<unknown>);
  return value;
}

/** The table's columns as plain values, lists as arrays. */
function columnsOf(table: Table): Record<string, unknown[]> {
  return Object.fromEntries(table.schema.names.map((n) => [n, columnValues(table, String(n)).map(plain)]));
}

describe('a training dataset mixing an aggregation view, a batch view and a service', () => {
  it('gives each row its windows and its newest batch row, in input order with duplicates', async () => {
    const store = await FeatureStore.open(repo.dir);
    const table = await store.getHistoricalFeatures({
      entities: path.join(repo.dir, 'entities.csv'),
      features: [
        'trip_aggs:fare_sum_1d',
        'driver_stats:conv_rate',
        'trip_aggs:count_1d',
        'trip_aggs:fare_sum_1h',
      ],
    });
    expect(table.schema.names).toEqual([
      'driver_id',
      'event_timestamp',
      'label',
      'fare_sum_1d',
      'conv_rate',
      'count_1d',
      'fare_sum_1h',
    ]);
    const got = columnsOf(table);
    expect(got.driver_id).toEqual(ROWS.map((r) => BigInt(r.driver)));
    expect(got.label).toEqual(ROWS.map((r) => r.label));
    expect(got.event_timestamp).toEqual(
      ROWS.map((r) => BigInt(Date.parse(r.at)) * 1000n + (r.at.includes('.000001') ? 1n : 0n)),
    );
    expect(got.fare_sum_1d).toEqual(ROWS.map((r) => r.sum1d));
    expect(got.conv_rate).toEqual(ROWS.map((r) => r.conv));
    expect(got.count_1d).toEqual(ROWS.map((r) => r.count1d));
    expect(got.fare_sum_1h).toEqual(ROWS.map((r) => r.sum1h));
  });

  it('answers a feature service and full feature names the same way', async () => {
    const store = await FeatureStore.open(repo.dir);
    const table = await store.getHistoricalFeatures({
      entities: path.join(repo.dir, 'entities.csv'),
      service: 'ranking',
      fullFeatureNames: true,
    });
    expect(table.schema.names).toEqual([
      'driver_id',
      'event_timestamp',
      'label',
      'trip_aggs__fare_sum_1d',
      'driver_stats__conv_rate',
      'trip_aggs__count_1d',
      'trip_aggs__fare_last_n_1d',
    ]);
    const got = columnsOf(table);
    expect(got.trip_aggs__fare_sum_1d).toEqual(ROWS.map((r) => r.sum1d));
    expect(got.driver_stats__conv_rate).toEqual(ROWS.map((r) => r.conv));
    expect(got.trip_aggs__count_1d).toEqual(ROWS.map((r) => r.count1d));
    expect(got.trip_aggs__fare_last_n_1d).toEqual(ROWS.map((r) => r.lastN));
  });

  it('writes the same rows through trove historical to Parquet', async () => {
    const out = path.join(repo.dir, 'training.parquet');
    const result = await runCli([
      'historical',
      '--repo',
      repo.dir,
      '--entities',
      path.join(repo.dir, 'entities.csv'),
      '--service',
      'ranking',
      '--out',
      out,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const rows = await queryRows(
      `SELECT driver_id, label, fare_sum_1d, conv_rate, count_1d, fare_last_n_1d FROM ${quoteString(out)}`,
    );
    expect(rows).toEqual(ROWS.map((r) => [BigInt(r.driver), r.label, r.sum1d, r.conv, r.count1d, r.lastN]));
  });
});
