/**
 * Training and serving agree (SPEC §5): after materializing up to an instant T, an online read at T
 * answers, value for value, what the point-in-time join gives for entity rows stamped T, ttl
 * included. Runs the bundled example end to end: apply, compute, materialize into the real Redis.
 */
import { randomUUID } from 'node:crypto';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import type { BatchFeatureView, FeatureView } from '../../src/definitions/feature-view.ts';
import { isBatchView } from '../../src/definitions/view-kinds.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { viewGlob } from '../../src/offline/offline-layout.ts';
import type { FeatureStatus, OnlineFeaturesResponse } from '../../src/online/online-response.ts';
import type { PushTarget } from '../../src/push/push-rows.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { copyExampleRepo, makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

function batchView(view: FeatureView | undefined): BatchFeatureView {
  if (!view || !isBatchView(view)) throw new Error(`not a batch view: ${view?.name}`);
  return view;
}

const VIEWS = ['driver_hourly_stats', 'customer_profile', 'driver_customer_trips'] as const;
const SERVICE = 'driver_ranking_v1';

// The example data spans the 30 days before 2026-01-01. T1 is inside it (every view has rows
// before and after it), T2 after its end (the 1-day view is stale for every driver).
const T1 = new Date('2025-12-20T06:00:00Z');
const T2 = new Date('2026-01-03T12:00:00Z');

// Drivers 1000-1019 and customers 5000-5099 have rows; 999, 2000 and 4999 never do.
const DRIVERS = [999, ...Array.from({ length: 20 }, (_, i) => 1000 + i), 2000];
const CUSTOMERS = [4999, ...Array.from({ length: 40 }, (_, i) => 5000 + i)];

/** Every (driver, customer) pair of the sample: each view sees each of its entities many times. */
const ENTITIES = {
  driver_id: DRIVERS.flatMap((d) => CUSTOMERS.map(() => BigInt(d))),
  customer_id: DRIVERS.flatMap(() => CUSTOMERS.map((c) => BigInt(c))),
};
const ROWS = ENTITIES.driver_id.length;

/** A push source and a view with a feature of every kind, for rows that tie exactly. */
const TIE_DEFINITIONS = `import { featureView, pushSource } from 'trove';

export const tieEvents = pushSource({
  name: 'tie_events',
  timestampField: 'event_timestamp',
  createdTimestampField: 'created',
});

export const tieStats = featureView({
  name: 'tie_stats',
  entities: ['driver'],
  source: 'tie_events',
  features: [
    { name: 'label', type: 'string' },
    { name: 'score', type: 'float64' },
    { name: 'ratio', type: 'float32' },
    { name: 'items', type: 'list<int64>' },
    { name: 'words', type: 'list<string>' },
    { name: 'scores', type: 'list<float64>' },
    { name: 'flag', type: 'bool' },
    { name: 'at', type: 'timestamp' },
    { name: 'blob', type: 'bytes' },
    { name: 'n', type: 'int32' },
    { name: 'big', type: 'int64' },
  ],
});
`;

let repo: TempRepo;
let store: FeatureStore;
let registry: Registry;

beforeAll(async () => {
  repo = await makeTempRepo();
  await copyExampleRepo(repo, 2_000);
  await repo.write('tie-views.ts', TIE_DEFINITIONS);
  const env = { ...process.env, TROVE_REDIS_KEY_PREFIX: `trove-agree-${randomUUID().slice(0, 8)}` };
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  registry = await store.registry();
  await store.compute();
});

afterAll(async () => {
  if (store) {
    await store.teardown();
    await store.close();
  }
  await repo?.remove();
});

/** Newest event time (µs) at or before `at` per entity of a view, from the offline store itself. */
async function newestEventTimes(view: string, at: Date): Promise<Map<string, bigint>> {
  const keys = registry.joinKeysOf(registry.featureView(view)!).map((k) => k.name);
  const { instance, connection } = await openDuckDb({ threads: 2, access: 'unrestricted' });
  try {
    const reader = await connection.runAndReadAll(
      `SELECT ${keys.map((k) => `CAST(${k} AS VARCHAR)`).join(` || '|' || `)} AS k,
              epoch_us(max(event_timestamp)) AS ets
       FROM read_parquet(${quoteString(viewGlob(store.config.offlineStorePath, view))})
       WHERE event_timestamp <= ${quoteString(at.toISOString())}::TIMESTAMPTZ
       GROUP BY ALL`,
    );
    return new Map(reader.getRowObjectsJS().map((r) => [String(r.k), BigInt(r.ets as bigint)]));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

function entityKey(view: string, row: number): string {
  const keys = registry.joinKeysOf(registry.featureView(view)!).map((k) => k.name);
  return keys.map((k) => String(ENTITIES[k as keyof typeof ENTITIES][row])).join('|');
}

/** Equal as values of the declared type: float32 as float32, int64 as bigint, nulls as null. */
function sameValue(type: string, online: unknown, offline: unknown): boolean {
  if (online === null || offline === null) return online === offline;
  if (type === 'float32')
    return (
      typeof online === 'number' &&
      typeof offline === 'number' &&
      Math.fround(online) === online &&
      Math.fround(offline) === online
    );
  if (type === 'int64') return typeof online === 'bigint' && online === offline;
  return typeof online === 'number' && online === offline;
}

interface Checked {
  statuses: Record<FeatureStatus, number>;
}

/**
 * Compares an online answer with the join's table column by column. The join gives values only, so
 * the status is checked against the newest offline row at or before the read time: none is
 * NOT_FOUND, one older than the ttl OUTSIDE_MAX_AGE, a null value NULL_VALUE; event times agree.
 */
async function compare(online: OnlineFeaturesResponse, offline: Table, at: Date, counts: Checked) {
  const newest = new Map<string, Map<string, bigint>>();
  for (const v of VIEWS) newest.set(v, await newestEventTimes(v, at));
  const atMicros = BigInt(at.getTime()) * 1000n;
  const names = online.metadata.feature_names;
  expect(names.slice(0, 2)).toEqual(['driver_id', 'customer_id']);
  expect(offline.numRows).toBe(ROWS);
  for (let c = 2; c < names.length; c++) {
    const name = names[c]!;
    const [viewName, featureName] = name.split('__') as [string, string];
    const view = batchView(registry.featureView(viewName));
    const feature = view.features.find((f) => f.name === featureName)!;
    const ttlMicros = BigInt(view.ttl * 1_000_000);
    const offlineColumn = offline.getChild(name);
    expect(offlineColumn, name).not.toBeNull();
    const column = online.results[c]!;
    for (let row = 0; row < ROWS; row++) {
      const where = `${name}, row ${row} (${entityKey(viewName, row)})`;
      const offlineValue = offlineColumn!.get(row) ?? null;
      const onlineValue = column.values[row];
      const status = column.statuses[row]!;
      counts.statuses[status]++;
      expect(
        sameValue(feature.type, onlineValue, offlineValue),
        `${where}: ${onlineValue} vs ${offlineValue}`,
      ).toBe(true);
      const ets = newest.get(viewName)!.get(entityKey(viewName, row));
      const expected: FeatureStatus =
        ets === undefined
          ? 'NOT_FOUND'
          : ttlMicros > 0n && atMicros - ttlMicros > ets
            ? 'OUTSIDE_MAX_AGE'
            : offlineValue === null
              ? 'NULL_VALUE'
              : 'PRESENT';
      expect(status, where).toBe(expected);
      if (ets !== undefined)
        expect(BigInt(Date.parse(column.event_timestamps[row]!)) * 1000n, where).toBe(ets);
    }
  }
}

async function checkAt(at: Date): Promise<Checked> {
  const counts: Checked = {
    statuses: { PRESENT: 0, NULL_VALUE: 0, NOT_FOUND: 0, OUTSIDE_MAX_AGE: 0, INVALID: 0 },
  };
  const entityTable = { columns: { ...ENTITIES, event_timestamp: ENTITIES.driver_id.map(() => at) } };
  for (const view of VIEWS) {
    const features = [`${view}:*`];
    const online = await store.getOnlineFeatures(
      { entities: ENTITIES, features, fullFeatureNames: true },
      { now: at },
    );
    const offline = await store.getHistoricalFeatures({
      entities: entityTable,
      features,
      fullFeatureNames: true,
    });
    await compare(online, offline, at, counts);
  }
  const online = await store.getOnlineFeatures(
    { entities: ENTITIES, service: SERVICE, fullFeatureNames: true },
    { now: at },
  );
  const offline = await store.getHistoricalFeatures({
    entities: entityTable,
    service: SERVICE,
    fullFeatureNames: true,
  });
  expect(online.metadata.feature_names.slice(2)).toEqual(offline.schema.fields.map((f) => f.name).slice(3));
  await compare(online, offline, at, counts);
  expect(counts.statuses.INVALID).toBe(0);
  return counts;
}

describe('online and offline agree at the same instant', () => {
  it('inside the data: every status occurs and matches the join', async () => {
    await store.materialize({ start: new Date(0), end: T1, log: () => {} });
    const { statuses } = await checkAt(T1);
    expect(statuses.PRESENT).toBeGreaterThan(0);
    expect(statuses.NULL_VALUE).toBeGreaterThan(0);
    expect(statuses.NOT_FOUND).toBeGreaterThan(0);
    expect(statuses.OUTSIDE_MAX_AGE).toBeGreaterThan(0);
  });

  it('after the data ends, with short ttls lapsed', async () => {
    await store.materialize({ start: T1, end: T2, log: () => {} });
    const { statuses } = await checkAt(T2);
    expect(statuses.PRESENT).toBeGreaterThan(0);
    expect(statuses.OUTSIDE_MAX_AGE).toBeGreaterThan(0);
  });

  it('exactly at the ttl bound, which both sides include', async () => {
    // Online holds every row up to T2; an instant after the last event of every view sees the same.
    let last = 0n;
    for (const v of VIEWS)
      for (const ets of (await newestEventTimes(v, T2)).values()) if (ets > last) last = ets;
    const driver = (await newestEventTimes('driver_hourly_stats', T2)).get('1000')!;
    const ttl = BigInt(batchView(registry.featureView('driver_hourly_stats')).ttl * 1_000_000);
    const at = new Date(Number((driver + ttl) / 1000n));
    expect(BigInt(at.getTime()) * 1000n).toBeGreaterThanOrEqual(last);
    await checkAt(at);
    const online = await store.getOnlineFeatures(
      { entities: { driver_id: [1000n] }, features: ['driver_hourly_stats:conv_rate'] },
      { now: at },
    );
    expect(online.results[1]!.statuses).toEqual(['PRESENT']);
    const later = await store.getOnlineFeatures(
      { entities: { driver_id: [1000n] }, features: ['driver_hourly_stats:conv_rate'] },
      { now: new Date(at.getTime() + 1) },
    );
    expect(later.results[1]!.statuses).toEqual(['OUTSIDE_MAX_AGE']);
  });
});

/** Every feature of a tie_stats row. */
type TieRow = Record<string, unknown>;

const BASE: TieRow = {
  label: 'a',
  score: 1.5,
  ratio: 0.5,
  items: [1n],
  words: ['a'],
  scores: [0],
  flag: true,
  at: new Date('2025-01-01T00:00:00Z'),
  blob: new Uint8Array([0x61]),
  n: 0,
  big: 0n,
};

const bytes = (...b: number[]) => new Uint8Array(b);
const I63 = 2n ** 63n;
const U32 = 2n ** 32n;

/**
 * Sets of rows tying exactly on event and created time, each greatest first as compute orders them
 * in DuckDB: one feature decides (every earlier one equal), or two values equal under that order
 * (-0 and 0, NaN and NaN) leave it to the next feature.
 */
const TIE_GROUPS: TieRow[][] = [
  ...Object.entries({
    label: ['𝄞', '\uffff', 'é', 'z', 'ab', 'a\u0000', 'a', 'B', '', null],
    score: [Number.NaN, Infinity, 1.5, 5e-324, 0, -1.5, -Infinity, null],
    ratio: [Number.NaN, Infinity, 0.5, -2.25, -Infinity, null],
    items: [[null, 1n], [null], [2n], [1n, null], [1n, 2n, null], [1n, 2n], [1n], [0n, 5n], [], null],
    words: [[null], ['𝄞'], ['é'], ['b'], ['a', 'z'], ['a'], ['B'], [], null],
    scores: [[null], [Number.NaN], [Infinity], [1], [0, 1], [0], [-Infinity], [], null],
    flag: [true, false, null],
    at: ['2025-06-01T00:00:00.001Z', '2025-06-01T00:00:00Z', '1969-12-31T23:59:59Z', null].map((t) =>
      t === null ? null : new Date(t),
    ),
    blob: [bytes(0xff), bytes(0x80), bytes(0x61, 0), bytes(0x61), bytes(0), bytes(), null],
    n: [2147483647, 1, 0, -1, -2147483648, null],
    big: [I63 - 1n, U32, U32 - 1n, 0n, -1n, -U32, -I63, null],
  }).map(([name, values]) => values.map((v) => ({ ...BASE, [name]: v }))),
  [
    { ...BASE, score: -0, ratio: 0.5 },
    { ...BASE, score: 0, ratio: -2.25 },
  ],
  [
    { ...BASE, score: 0, ratio: 0.5 },
    { ...BASE, score: -0, ratio: -2.25 },
  ],
  [
    { ...BASE, score: Number.NaN, ratio: 0.5 },
    { ...BASE, score: Number.NaN, ratio: -2.25 },
  ],
  [
    { ...BASE, scores: [-0], n: 1 },
    { ...BASE, scores: [0], n: 0 },
  ],
  [
    { ...BASE, ratio: -0, big: 1n },
    { ...BASE, ratio: 0, big: 0n },
  ],
];

const TIE_FEATURES = Object.keys(BASE);
const TIE_EVENT = new Date('2025-12-10T00:00:00Z');
const TIE_CREATED = new Date('2025-12-10T01:00:00Z');
const TIE_READ = new Date('2025-12-20T00:00:00Z');
/** Groups pushed (first driver of each) and materialized (second), on drivers no view has yet. */
const PUSHED = 7000;
const MATERIALIZED = 7100;

/** A push of rows for drivers, all at the tie's event time; `created` null for odd groups. */
async function pushTies(rows: { driver: number; group: number; row: TieRow }[], to: PushTarget) {
  const df: Record<string, unknown[]> = {
    driver_id: rows.map((r) => BigInt(r.driver)),
    event_timestamp: rows.map(() => TIE_EVENT),
    created: rows.map((r) => (r.group % 2 === 0 ? TIE_CREATED : null)),
  };
  for (const f of TIE_FEATURES) df[f] = rows.map((r) => r.row[f]);
  await store.push({ pushSourceName: 'tie_events', df, to });
}

/** A value as comparable text: -0 as 0, lists and Arrow vectors item by item, times in ms. */
function plain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Object.is(value, -0) ? 0 : Number.isNaN(value) ? 'NaN' : value;
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date) return `ms ${value.getTime()}`;
  if (value instanceof Uint8Array) return `bytes ${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && Symbol.iterator in value)
    return [...(value as Iterable<unknown>)].map(plain);
  return value;
}

async function compareTies(drivers: readonly bigint[]): Promise<void> {
  const features = TIE_FEATURES.map((f) => `tie_stats:${f}`);
  const online = await store.getOnlineFeatures(
    { entities: { driver_id: drivers }, features },
    { now: TIE_READ },
  );
  const offline = await store.getHistoricalFeatures({
    entities: { columns: { driver_id: drivers, event_timestamp: drivers.map(() => TIE_READ) } },
    features,
  });
  expect(offline.numRows).toBe(drivers.length);
  TIE_FEATURES.forEach((f, i) => {
    const column = online.results[i + 1]!;
    const offlineColumn = offline.getChild(f)!;
    drivers.forEach((driver, row) => {
      expect(column.statuses[row], `${f}, driver ${driver}`).not.toBe('NOT_FOUND');
      const offlineValue = offlineColumn.get(row);
      // Arrow gives a timestamp as ms since the epoch.
      const expected = f === 'at' && typeof offlineValue === 'number' ? new Date(offlineValue) : offlineValue;
      expect(plain(column.values[row]), `${f}, driver ${driver}`).toEqual(plain(expected));
    });
  });
}

/** A set's rows in the order they are written: the lowest, the greatest, then the others. */
const mixed = (rows: readonly TieRow[]): TieRow[] => [rows.at(-1)!, ...rows.slice(0, -1)];

describe('online and offline agree on rows tying exactly on event and created time', () => {
  it('pushed and materialized, whatever order the rows came in', async () => {
    const range = {
      start: new Date('2025-12-09T00:00:00Z'),
      end: TIE_READ,
      log: () => {},
    };
    // Materialized: every row offline, computed (one row of each set kept) and materialized.
    await pushTies(
      TIE_GROUPS.flatMap((rows, group) =>
        mixed(rows).map((row) => ({ driver: MATERIALIZED + group, group, row })),
      ),
      'offline',
    );
    await store.compute({ views: ['tie_stats'] });
    await store.materialize({ ...range, views: ['tie_stats'] });
    // Then the lowest row of each set pushed online and offline: it must not replace the greatest.
    await pushTies(
      TIE_GROUPS.map((rows, group) => ({ driver: MATERIALIZED + group, group, row: rows.at(-1)! })),
      'online_and_offline',
    );
    // Pushed: each set in one push, then each row again in a push of its own, in the same order.
    const pushed = TIE_GROUPS.map((rows, group) =>
      mixed(rows).map((row) => ({ driver: PUSHED + group, group, row })),
    );
    await pushTies(pushed.flat(), 'online_and_offline');
    for (let i = 0; i < Math.max(...pushed.map((g) => g.length)); i++)
      await pushTies(
        pushed.flatMap((rows) => rows.slice(i, i + 1)),
        'online_and_offline',
      );
    await store.compute({ views: ['tie_stats'] });
    const drivers = TIE_GROUPS.flatMap((_, g) => [BigInt(PUSHED + g), BigInt(MATERIALIZED + g)]);
    await compareTies(drivers);
    // A rerun of the materialization writes the same rows.
    await store.materialize({ ...range, views: ['tie_stats'] });
    await compareTies(drivers);
  });
});
