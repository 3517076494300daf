/**
 * The repo of the distributed compute tests: a Parquet source over 4 days (drivers × several rows a
 * day, some rates null, some identities repeated with other values), a view whose checks hold
 * (`stats`) and one whose `max` fails in some partitions (`strict`).
 */
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { connectUtc } from '../../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import type { DistributedComputeConfig } from '../../../src/offline/distributed/compute-coordinator.ts';
import type { Registry } from '../../../src/registry/registry.ts';
import { onlineConfig, PROJECT } from '../../online/online-fixture.ts';
import { makeRegistry, offlineConfig } from '../offline-test-kit.ts';

/** 2024-03-10T00:00:00Z in µs, and a day. */
export const DAY1 = 1_710_028_800_000_000n;
export const DAY = 86_400_000_000n;
export const DAYS = 4;

export function computeRegistry(dir: string): Registry {
  const features = [
    { name: 'rate', type: 'float64', checks: { min: 0 } },
    { name: 'city', type: 'string' },
    { name: 'trips', type: 'int64' },
  ];
  return makeRegistry({
    entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
    sources: [{ kind: 'parquet', name: 'src', path: path.join(dir, 'src.parquet'), timestampField: 'ts' }],
    featureViews: [
      { name: 'stats', entities: ['driver'], source: 'src', checks: { minRows: 10 }, features },
      {
        name: 'strict',
        entities: ['driver'],
        source: 'src',
        features: [{ name: 'rate', type: 'float64', checks: { max: 90 } }],
      },
    ],
  });
}

export function computeConfig(dir: string, prefix: string): DistributedComputeConfig {
  return { ...offlineConfig(dir), project: PROJECT, onlineStore: onlineConfig(prefix) };
}

/** Writes `rows` source rows (and a repeat of every 1000th identity with another rate) into `dir`. */
export async function writeComputeSource(dir: string, rows: number, drivers: number): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await connectUtc(instance);
  const seconds = BigInt(DAYS) * (DAY / 1_000_000n);
  const base = `SELECT (i % ${drivers})::BIGINT AS driver_id,
      make_timestamptz(${DAY1}::BIGINT + ((i * 7919) % ${seconds}) * 1000000) AS ts,
      CASE WHEN i % 97 = 0 THEN NULL ELSE (i % 1000) / 10.0 END AS rate,
      'c' || (i % 13) AS city, (i % 50)::BIGINT AS trips
    FROM range(${rows}) t(i)`;
  const repeats = `SELECT driver_id, ts, rate + 1 AS rate, city, trips FROM (${base}) WHERE trips = 7 AND driver_id % 20 = 0`;
  try {
    await c.run(
      `COPY (${base} UNION ALL ${repeats}) TO ${quoteString(path.join(dir, 'src.parquet'))} (FORMAT parquet)`,
    );
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
