/**
 * Training and serving agree (SPEC §5): after materializing up to an instant T, an online read at T
 * answers, value for value, what the point-in-time join gives for entity rows stamped T, ttl
 * included. Runs the bundled example end to end: apply, compute, materialize into the real Redis.
 */
import { randomUUID } from 'node:crypto';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { viewGlob } from '../../src/offline/offline-layout.ts';
import type { FeatureStatus, OnlineFeaturesResponse } from '../../src/online/online-response.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { copyExampleRepo, makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

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

let repo: TempRepo;
let store: FeatureStore;
let registry: Registry;

beforeAll(async () => {
  repo = await makeTempRepo();
  await copyExampleRepo(repo, 2_000);
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
    const view = registry.featureView(viewName)!;
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
    await store.materialize({ start: new Date(0), end: T1, progressBar: false, log: () => {} });
    const { statuses } = await checkAt(T1);
    expect(statuses.PRESENT).toBeGreaterThan(0);
    expect(statuses.NULL_VALUE).toBeGreaterThan(0);
    expect(statuses.NOT_FOUND).toBeGreaterThan(0);
    expect(statuses.OUTSIDE_MAX_AGE).toBeGreaterThan(0);
  });

  it('after the data ends, with short ttls lapsed', async () => {
    await store.materialize({ start: T1, end: T2, progressBar: false, log: () => {} });
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
    const ttl = BigInt(registry.featureView('driver_hourly_stats')!.ttl * 1_000_000);
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
