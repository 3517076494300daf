/**
 * A generated repo for the distributed training-dataset tests: three views with different ttls
 * (one with a composite key, one with ties on keys and event time, so it takes the created-time
 * path), and an entity table whose rows repeat (same keys and time), some of whose entities have no
 * feature rows, in random order. Values are hashes of the row number: the same in every process.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { openDuckDb } from '../../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import { computeViews } from '../../../src/offline/compute-views.ts';
import type { DistributedHistoricalConfig } from '../../../src/offline/distributed-historical/historical-job-coordinator.ts';
import type { Registry } from '../../../src/registry/registry.ts';
import { onlineConfig, PROJECT } from '../../online/online-fixture.ts';
import { makeRegistry, offlineConfig } from '../offline-test-kit.ts';

export const FEATURES = [
  'driver_hourly:conv_rate',
  'driver_hourly:trips',
  'customer_profile:balance',
  'customer_profile:tier',
  'driver_customer:fare',
];
const DRIVERS = 2000;
const CUSTOMERS = 5000;
const START = '2025-12-01 00:00:00+00';
const SPAN_US = 10n * 86_400_000_000n;

export function fixtureRegistry(dir: string, ttl = '2h'): Registry {
  const source = (name: string) => ({
    kind: 'parquet',
    name,
    path: path.join(dir, 'src', `${name}.parquet`),
    timestampField: 'ts',
    createdTimestampField: 'created',
  });
  return makeRegistry({
    entities: [
      { name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] },
      { name: 'customer', joinKeys: [{ name: 'customer_id', type: 'string' }] },
    ],
    sources: [source('driver_src'), source('customer_src'), source('pair_src')],
    featureViews: [
      {
        name: 'driver_hourly',
        entities: ['driver'],
        source: 'driver_src',
        ttl,
        features: [
          { name: 'conv_rate', type: 'float32' },
          { name: 'trips', type: 'int64' },
        ],
      },
      {
        name: 'customer_profile',
        entities: ['customer'],
        source: 'customer_src',
        ttl: '7d',
        features: [
          { name: 'balance', type: 'float64' },
          { name: 'tier', type: 'string' },
        ],
      },
      {
        name: 'driver_customer',
        entities: ['driver', 'customer'],
        source: 'pair_src',
        features: [{ name: 'fare', type: 'float64' }],
      },
    ],
  });
}

export function fixtureConfig(dir: string, keyPrefix: string): DistributedHistoricalConfig {
  return { ...offlineConfig(dir), project: PROJECT, onlineStore: onlineConfig(keyPrefix) };
}

/** Writes the sources and the entity file (`entities.parquet`) and computes the views. */
export async function writeFixture(dir: string, featureRows: number, entityRows: number): Promise<string> {
  await mkdir(path.join(dir, 'src'), { recursive: true });
  const { instance, connection } = await openDuckDb({ threads: 2, access: 'unrestricted' });
  const ts = (salt: number) =>
    `TIMESTAMPTZ '${START}' + to_microseconds((hash(i, ${salt}) % ${SPAN_US})::BIGINT)`;
  const write = (name: string, rows: number, columns: string) =>
    connection.run(
      `COPY (SELECT ${columns} FROM range(${rows}) t(i)) TO ${quoteString(path.join(dir, 'src', `${name}.parquet`))} (FORMAT parquet)`,
    );
  // Every fourth driver row shares keys and event time with the row before it: a created-time tie.
  await write(
    'driver_src',
    featureRows,
    `(hash(i - (i % 4 = 3)::INT, 1) % ${DRIVERS})::BIGINT AS driver_id,
     TIMESTAMPTZ '${START}' + to_microseconds((hash(i - (i % 4 = 3)::INT, 3) % ${SPAN_US})::BIGINT) AS ts,
     CASE WHEN i % 10 = 0 THEN NULL ELSE ${ts(2)} END AS created,
     ((hash(i, 4) % 10000) / 10000.0)::FLOAT AS conv_rate,
     CASE WHEN i % 17 = 0 THEN NULL ELSE (hash(i, 6) % 50)::BIGINT END AS trips`,
  );
  await write(
    'customer_src',
    Math.round(featureRows / 2),
    `'c' || (hash(i, 7) % ${CUSTOMERS})::VARCHAR AS customer_id, ${ts(8)} AS ts, ${ts(9)} AS created,
     (hash(i, 10) % 100000) / 100.0 AS balance, CASE WHEN i % 7 = 0 THEN NULL ELSE 'tier' || (i % 3)::VARCHAR END AS tier`,
  );
  await write(
    'pair_src',
    Math.round(featureRows / 2),
    `(hash(i, 11) % ${DRIVERS})::BIGINT AS driver_id, 'c' || (hash(i, 12) % ${CUSTOMERS})::VARCHAR AS customer_id,
     ${ts(13)} AS ts, ${ts(14)} AS created, (hash(i, 15) % 10000) / 100.0 AS fare`,
  );
  // Entities: drivers past DRIVERS and customers past CUSTOMERS have no feature rows; every tenth
  // row repeats the one before it (same keys, same time, another label).
  const entities = path.join(dir, 'entities.parquet');
  await connection.run(
    `COPY (SELECT (hash(j, 21) % ${DRIVERS + 200})::BIGINT AS driver_id,
       'c' || (hash(j, 22) % ${CUSTOMERS + 500})::VARCHAR AS customer_id,
       TIMESTAMPTZ '${START}' + to_microseconds((hash(j, 23) % ${SPAN_US})::BIGINT) AS event_timestamp,
       (hash(i, 24) % 2 = 0) AS label
     FROM (SELECT i, i - (i % 10 = 9)::INT AS j FROM range(${entityRows}) t(i))) TO ${quoteString(entities)} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  await computeViews(offlineConfig(dir), fixtureRegistry(dir));
  return entities;
}
