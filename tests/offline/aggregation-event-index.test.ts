/**
 * The event index compute writes for an aggregation view: training datasets read it while it
 * matches the partitions, and give the same values as from the partitions; once a partition has a
 * file the index does not know (as a push adds), or the index's file is gone, they read the
 * partitions.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Table, Vector } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  aggregationViewSchema,
  registerAggregationView,
} from '../../src/definitions/aggregation/aggregation-view.ts';
import { eventIndexFolder, usableEventIndex } from '../../src/offline/aggregation/event-index.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import { partitionFolder } from '../../src/offline/offline-layout.ts';
import { viewFiles } from '../../src/offline/view-files.ts';
import type { Registry } from '../../src/registry/registry.ts';
import {
  type Cell,
  columnValues,
  makeRegistry,
  offlineConfig,
  tempDir,
  writeParquet,
} from './offline-test-kit.ts';

const us = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
const ts = (iso: string) => ({ micros: us(iso) });

/** Ties on event and created time (broken by value), a null created time, null values, two days. */
const EVENTS: Cell[][] = [
  [1n, ts('2024-03-10T10:00:00Z'), ts('2024-03-10T09:00:00Z'), 10, 'a'],
  [1n, ts('2024-03-10T10:00:00Z'), ts('2024-03-10T09:00:00Z'), 20, 'b'],
  [1n, ts('2024-03-10T11:00:00Z'), ts('2024-03-10T11:00:00Z'), null, null],
  [1n, ts('2024-03-11T01:00:00Z'), null, 5, 'c'],
  [2n, ts('2024-03-11T02:00:00Z'), ts('2024-03-11T02:00:00Z'), 7, 'z'],
];

const ENTITIES = [
  { driver_id: 1n, event_timestamp: new Date('2024-03-11T01:00:00Z') },
  { driver_id: 1n, event_timestamp: new Date('2024-03-10T10:30:00Z') },
  { driver_id: 2n, event_timestamp: new Date('2024-03-11T03:00:00Z') },
  { driver_id: 3n, event_timestamp: new Date('2024-03-11T03:00:00Z') },
];

const FEATURES = [
  'count_2d',
  'fare_sum_2d',
  'fare_mean_2d',
  'city_first_2d',
  'city_last_2d',
  'fare_last_n_2d',
  'fare_sum_1h',
];

let dir: string;
let cleanup: () => Promise<void>;
let registry: Registry;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  const file = path.join(dir, 'events.parquet');
  await writeParquet(
    file,
    [
      { name: 'driver_id', type: 'BIGINT' },
      { name: 'ts', type: 'TIMESTAMPTZ' },
      { name: 'created', type: 'TIMESTAMPTZ' },
      { name: 'fare', type: 'DOUBLE' },
      { name: 'city', type: 'VARCHAR' },
    ],
    EVENTS,
  );
  const definition = aggregationViewSchema.parse({
    kind: 'aggregation',
    name: 'trips',
    entities: ['driver'],
    source: 'events',
    aggregations: [
      { function: 'count', windows: ['2d'] },
      { column: 'fare', function: 'sum', windows: ['2d', '1h'] },
      { column: 'fare', function: 'mean', windows: ['2d'] },
      { column: 'city', function: 'first', windows: ['2d'] },
      { column: 'city', function: 'last', windows: ['2d'] },
      { column: 'fare', function: 'last_n', n: 3, windows: ['2d'] },
    ],
  });
  const types: Record<string, 'float64' | 'string'> = { fare: 'float64', city: 'string' };
  registry = makeRegistry({
    entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
    sources: [
      { kind: 'parquet', name: 'events', path: file, timestampField: 'ts', createdTimestampField: 'created' },
    ],
    featureViews: [registerAggregationView(definition, (c) => types[c]!)],
  });
  await computeViews(offlineConfig(dir), registry);
});

afterEach(async () => {
  await cleanup();
});

function plain(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'toArray' in v) return [...(v as Vector).toArray()];
  return v;
}

function values(table: Table): Record<string, unknown[]> {
  return Object.fromEntries(FEATURES.map((f) => [f, columnValues(table, f).map(plain)]));
}

const dataset = () =>
  historicalTable(offlineConfig(dir), registry, { entities: ENTITIES, features: ['trips:*'] });

/** Whether the index of the view may serve a dataset whose windows reach `[fromDate, toDate]`. */
async function indexServes(fromDate = '2024-03-01', toDate = '2024-03-31'): Promise<boolean> {
  const store = offlineConfig(dir).offlineStorePath;
  const { files } = await viewFiles(store, 'trips', fromDate, toDate);
  const index = await usableEventIndex(store, 'trips', {
    keys: [{ name: 'driver_id', sqlType: 'BIGINT' }],
    columns: [{ name: 'city', sqlType: 'VARCHAR' }],
    ordered: ['city'],
    files,
    fromDate,
    toDate,
  });
  return index !== undefined;
}

describe('the event index of an aggregation view', () => {
  it('is written by compute and gives the values the partitions give', async () => {
    expect(await indexServes()).toBe(true);
    const fromIndex = values(await dataset());
    expect(fromIndex).toEqual({
      count_2d: [4n, 2n, 1n, 0n],
      fare_sum_2d: [35, 30, 7, 0],
      // The null fare counts as an event, not as a value.
      fare_mean_2d: [35 / 3, 15, 7, null],
      // Equal event and created times: the value decides, a before b.
      city_first_2d: ['a', 'a', 'z', null],
      city_last_2d: ['c', 'b', 'z', null],
      fare_last_n_2d: [[5, 20, 10], [20, 10], [7], []],
      fare_sum_1h: [5, 30, 7, 0],
    });
    await rm(path.join(eventIndexFolder(offlineConfig(dir).offlineStorePath, 'trips'), 'manifest.json'));
    expect(await indexServes()).toBe(false);
    expect(values(await dataset())).toEqual(fromIndex);
  });

  it('is not read once a partition has a file it was not built from', async () => {
    const folder = partitionFolder(offlineConfig(dir).offlineStorePath, 'trips', '2024-03-11');
    await writeParquet(
      path.join(folder, 'push-extra-0.parquet'),
      [
        { name: 'driver_id', type: 'BIGINT' },
        { name: 'event_timestamp', type: 'TIMESTAMPTZ' },
        { name: 'created_timestamp', type: 'TIMESTAMPTZ' },
        { name: 'fare', type: 'DOUBLE' },
        { name: 'city', type: 'VARCHAR' },
      ],
      [[1n, ts('2024-03-11T00:30:00Z'), null, 100, 'x']],
    );
    expect(await indexServes()).toBe(false);
    const got = values(await dataset());
    expect(got.count_2d).toEqual([5n, 2n, 1n, 0n]);
    expect(got.fare_sum_2d).toEqual([135, 30, 7, 0]);
    expect(got.fare_last_n_2d).toEqual([[5, 100, 20], [20, 10], [7], []]);
    // The next compute indexes it too.
    await computeViews(offlineConfig(dir), registry);
    expect(await indexServes()).toBe(true);
  });

  it('is not read for a dataset reaching less than half of it', async () => {
    // Two partitions of about the same size: either alone is about half, both are all of it.
    expect(await indexServes('2024-03-10', '2024-03-11')).toBe(true);
    const folder = partitionFolder(offlineConfig(dir).offlineStorePath, 'trips', '2024-03-12');
    await mkdir(folder, { recursive: true });
    const later = Array.from({ length: 200 }, (_, i): Cell[] => [
      9n,
      ts(`2024-03-12T${String(i % 24).padStart(2, '0')}:00:00Z`),
      null,
      i,
      `city-${i}`,
    ]);
    await writeParquet(
      path.join(folder, 'part-0.parquet'),
      [
        { name: 'driver_id', type: 'BIGINT' },
        { name: 'event_timestamp', type: 'TIMESTAMPTZ' },
        { name: 'created_timestamp', type: 'TIMESTAMPTZ' },
        { name: 'fare', type: 'DOUBLE' },
        { name: 'city', type: 'VARCHAR' },
      ],
      later,
    );
    await computeViews(offlineConfig(dir), registry, { start: ts('2024-03-13T00:00:00Z') });
    expect(await indexServes('2024-03-12', '2024-03-12')).toBe(true);
    expect(await indexServes('2024-03-10', '2024-03-11')).toBe(false);
    expect(values(await dataset()).count_2d).toEqual([4n, 2n, 1n, 0n]);
  });

  it('is not read when its data file is gone', async () => {
    const folder = eventIndexFolder(offlineConfig(dir).offlineStorePath, 'trips');
    for (const name of await readdir(folder))
      if (name.endsWith('.parquet')) await rm(path.join(folder, name));
    expect(await indexServes()).toBe(false);
    expect(values(await dataset()).count_2d).toEqual([4n, 2n, 1n, 0n]);
  });
});
