/**
 * Work measured by the compute.stats scenario, run in child processes (see measure.ts): generating
 * a source of rows × 10 features, and computing it into a fresh offline store with or without
 * statistics.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import type { OfflineConfig } from '../../src/offline/offline-duckdb.ts';
import { Registry } from '../../src/registry/registry.ts';

const THREADS = 2;
const SPAN_US = 30n * 86_400_000_000n;

/**
 * Ten features of every numeric type and two categorical ones, some with nulls, as a feature
 * table tends to have: continuous measures, counts, a category and a flag.
 */
const FEATURES: readonly [name: string, type: string, sql: string][] = [
  ['fare_mean', 'float64', '(hash(i, 2) % 1000000)::DOUBLE / 1000'],
  [
    'fare_delta',
    'float64',
    'CASE WHEN i % 13 = 0 THEN NULL ELSE (hash(i, 3) % 1000000)::DOUBLE / 1000 - 500 END',
  ],
  ['wait_seconds', 'float64', 'exp((hash(i, 4) % 1000)::DOUBLE / 100)'],
  ['conv_rate', 'float32', '((hash(i, 5) % 10000) / 10000.0)::FLOAT'],
  ['rating', 'float32', '((hash(i, 6) % 50) / 10.0)::FLOAT'],
  ['lifetime_value', 'int64', '(hash(i, 7) % 1000000000000)::BIGINT'],
  ['trips', 'int64', 'CASE WHEN i % 7 = 0 THEN NULL ELSE (hash(i, 8) % 50)::BIGINT END'],
  ['age_days', 'int32', '(hash(i, 9) % 3650)::INTEGER'],
  ['city', 'string', "'city_' || (hash(i, 10) % 40)::VARCHAR"],
  ['is_active', 'bool', 'hash(i, 11) % 3 = 0'],
];

function sourceFile(dir: string): string {
  return path.join(dir, 'src', 'driver_stats.parquet');
}

export function statsConfig(dir: string, store: string): OfflineConfig {
  return {
    repoDir: dir,
    offlineStorePath: path.join(dir, store),
    offlineStore: { path: store, memoryLimit: '1GB', threads: THREADS },
  };
}

export function statsRegistry(dir: string): Registry {
  return Registry.of('bench', {
    entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
    sources: [
      sourceSchema.parse({
        kind: 'parquet',
        name: 'driver_stats',
        path: sourceFile(dir),
        timestampField: 'ts',
      }),
    ],
    featureViews: [
      featureViewSchema.parse({
        name: 'driver_stats',
        entities: ['driver'],
        source: 'driver_stats',
        features: FEATURES.map(([name, type]) => ({ name, type })),
      }),
    ],
    featureServices: [],
  });
}

/** The source: `rows` rows over 30 days, one key per 100 rows (cached between runs). */
export async function generateSource(args: { dir: string; rows: number }): Promise<string> {
  const file = sourceFile(args.dir);
  if (await stat(file).catch(() => undefined)) return 'cached';
  await mkdir(path.dirname(file), { recursive: true });
  const { instance, connection } = await openDuckDb({
    memoryLimit: '2GB',
    threads: THREADS,
    access: 'unrestricted',
  });
  try {
    await connection.run(
      `COPY (SELECT (hash(i, 1) % ${Math.max(100, Math.round(args.rows / 100))})::BIGINT AS driver_id,
         TIMESTAMPTZ '2025-12-01 00:00:00+00' + to_microseconds((hash(i, 12) % ${SPAN_US})::BIGINT) AS ts,
         ${FEATURES.map(([name, , sql]) => `${sql} AS ${name}`).join(', ')}
       FROM range(${args.rows}) t(i)) TO ${quoteString(`${file}.partial`)} (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  const { rename } = await import('node:fs/promises');
  await rename(`${file}.partial`, file);
  return 'generated';
}

/** Removes a store a run wrote (untimed, so every run starts from an empty store). */
export async function removeStore(args: { dir: string; store: string }): Promise<void> {
  await rm(path.join(args.dir, args.store), { recursive: true, force: true });
}

/** `compute` of the view into an empty store, with statistics or without. */
export async function compute(args: { dir: string; store: string; statistics: boolean }): Promise<number> {
  const [result] = await computeViews(statsConfig(args.dir, args.store), statsRegistry(args.dir), {
    statistics: args.statistics,
  });
  return result?.rows ?? 0;
}
