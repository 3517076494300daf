/**
 * Work measured by the offline.pit scenario, run in child processes (see measure.ts): generating
 * the feature data, Trove's point-in-time join, and the hand-written DuckDB ASOF query it is
 * compared with.
 */
import { link, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { writeHistoricalFile } from '../../src/offline/historical-output.ts';
import type { OfflineConfig } from '../../src/offline/offline-duckdb.ts';
import { UNIQUE_KEY_TIMES_MARKER, viewGlob } from '../../src/offline/offline-layout.ts';
import { Registry } from '../../src/registry/registry.ts';

export const MEMORY_LIMIT = '1GB';
export const THREADS = 2;
const START = '2025-12-01 00:00:00+00';
const SPAN_US = 30n * 86_400_000_000n;

export const FEATURES = [
  'driver_hourly:conv_rate',
  'driver_hourly:acc_rate',
  'driver_hourly:trips',
  'customer_profile:balance',
  'customer_profile:lifetime_trips',
  'driver_customer:fare',
];

export function benchConfig(dir: string): OfflineConfig {
  return {
    repoDir: dir,
    offlineStorePath: path.join(dir, 'offline'),
    offlineStore: { path: 'offline', memoryLimit: MEMORY_LIMIT, threads: THREADS },
  };
}

function sizes(featureRows: number) {
  return {
    drivers: Math.max(100, Math.round(featureRows / 1000)),
    customers: Math.max(1000, Math.round(featureRows / 100)),
  };
}

export function benchRegistry(dir: string): Registry {
  const source = (name: string) =>
    sourceSchema.parse({
      kind: 'parquet',
      name,
      path: path.join(dir, 'src', `${name}.parquet`),
      timestampField: 'ts',
      createdTimestampField: 'created',
    });
  return Registry.of('bench', {
    entities: [
      entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }),
      entitySchema.parse({ name: 'customer', joinKeys: [{ name: 'customer_id', type: 'int64' }] }),
    ],
    sources: [source('driver_hourly_src'), source('customer_profile_src'), source('driver_customer_src')],
    featureViews: [
      featureViewSchema.parse({
        name: 'driver_hourly',
        entities: ['driver'],
        source: 'driver_hourly_src',
        ttl: '1d',
        features: [
          { name: 'conv_rate', type: 'float32' },
          { name: 'acc_rate', type: 'float32' },
          { name: 'trips', type: 'int64' },
        ],
      }),
      featureViewSchema.parse({
        name: 'customer_profile',
        entities: ['customer'],
        source: 'customer_profile_src',
        ttl: '7d',
        features: [
          { name: 'balance', type: 'float64' },
          { name: 'lifetime_trips', type: 'int64' },
        ],
      }),
      featureViewSchema.parse({
        name: 'driver_customer',
        entities: ['driver', 'customer'],
        source: 'driver_customer_src',
        ttl: '30d',
        features: [{ name: 'fare', type: 'float64' }],
      }),
    ],
    featureServices: [],
  });
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Deterministic feature sources (values are hashes of the row number) computed into the store. */
export async function generateStore(args: { dir: string; featureRows: number }): Promise<string> {
  const { dir, featureRows } = args;
  if (await exists(path.join(dir, 'offline', 'views', 'driver_customer'))) return 'cached';
  await mkdir(path.join(dir, 'src'), { recursive: true });
  const { drivers, customers } = sizes(featureRows);
  const { instance, connection } = await openDuckDb({
    memoryLimit: '2GB',
    threads: THREADS,
    access: 'unrestricted',
  });
  const ts = (salt: number) =>
    `TIMESTAMPTZ '${START}' + to_microseconds((hash(i, ${salt}) % ${SPAN_US})::BIGINT)`;
  const write = (name: string, rows: number, columns: string) =>
    connection.run(
      `COPY (SELECT ${columns} FROM range(${rows}) t(i)) TO ${quoteString(path.join(dir, 'src', `${name}.parquet`))} (FORMAT parquet)`,
    );
  const created = `CASE WHEN i % 10 = 0 THEN NULL ELSE ${ts(2)} END AS created`;
  await write(
    'driver_hourly_src',
    Math.round(featureRows * 0.4),
    `(hash(i, 1) % ${drivers})::BIGINT AS driver_id, ${ts(3)} AS ts, ${created},
     ((hash(i, 4) % 10000) / 10000.0)::FLOAT AS conv_rate, ((hash(i, 5) % 10000) / 10000.0)::FLOAT AS acc_rate,
     CASE WHEN i % 17 = 0 THEN NULL ELSE (hash(i, 6) % 50)::BIGINT END AS trips`,
  );
  await write(
    'customer_profile_src',
    Math.round(featureRows * 0.3),
    `(hash(i, 7) % ${customers})::BIGINT AS customer_id, ${ts(8)} AS ts, ${created},
     (hash(i, 9) % 100000) / 100.0 AS balance, (hash(i, 10) % 1000)::BIGINT AS lifetime_trips`,
  );
  await write(
    'driver_customer_src',
    Math.round(featureRows * 0.3),
    `(hash(i, 11) % ${drivers})::BIGINT AS driver_id, (hash(i, 12) % ${customers})::BIGINT AS customer_id,
     ${ts(13)} AS ts, ${created}, (hash(i, 14) % 10000) / 100.0 AS fare`,
  );
  connection.closeSync();
  instance.closeSync();
  await computeViews(benchConfig(dir), benchRegistry(dir));
  return 'generated';
}

/**
 * The same store with no partition marked free of (keys, event time) ties, so Trove's join takes
 * its created-time tie-break path over identical rows. Files are hard links: no data is copied.
 */
export async function unmarkedStore(args: { from: string; to: string }): Promise<string> {
  if (await exists(args.to)) return 'cached';
  const copy = async (from: string, to: string): Promise<void> => {
    await mkdir(to, { recursive: true });
    for (const entry of await readdir(from, { withFileTypes: true })) {
      if (entry.name === UNIQUE_KEY_TIMES_MARKER) continue;
      const a = path.join(from, entry.name);
      const b = path.join(to, entry.name);
      if (entry.isDirectory()) await copy(a, b);
      else await link(a, b);
    }
  };
  await rm(`${args.to}.partial`, { recursive: true, force: true });
  await copy(args.from, `${args.to}.partial`);
  await rename(`${args.to}.partial`, args.to);
  return 'linked';
}

/** An entity table of `rows` rows with a label, in random key and time order. */
export async function generateEntities(args: {
  file: string;
  rows: number;
  featureRows: number;
}): Promise<string> {
  if (await exists(args.file)) return 'cached';
  const { drivers, customers } = sizes(args.featureRows);
  const { instance, connection } = await openDuckDb({ threads: THREADS, access: 'unrestricted' });
  await connection.run(
    `COPY (SELECT (hash(i, 21) % ${drivers})::BIGINT AS driver_id, (hash(i, 22) % ${customers})::BIGINT AS customer_id,
       TIMESTAMPTZ '${START}' + to_microseconds((hash(i, 23) % ${SPAN_US})::BIGINT) AS event_timestamp,
       (hash(i, 24) % 2 = 0) AS label
     FROM range(${args.rows}) t(i)) TO ${quoteString(args.file)} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  return 'generated';
}

/** Trove's training-dataset path: entity Parquet in, Parquet out. */
export async function trovePit(args: { dir: string; entities: string; out: string }): Promise<number> {
  const result = await writeHistoricalFile(
    benchConfig(args.dir),
    benchRegistry(args.dir),
    { entities: args.entities, features: FEATURES },
    args.out,
  );
  return result.rows;
}

/**
 * The baseline: the query one would write by hand in DuckDB for the same dataset (one ASOF LEFT
 * JOIN per view on event time, ttl checked after the match, output in entity-file order, COPY to
 * zstd Parquet), over the same files and with the same settings. It does not check the entity
 * table, cast keys, prune partitions, or break ties on created time (a tie between two rows of
 * equal keys and event time gets an arbitrary one of them; this data has none).
 */
export async function asofBaseline(args: { dir: string; entities: string; out: string }): Promise<number> {
  const { instance, connection } = await openDuckDb({
    memoryLimit: MEMORY_LIMIT,
    threads: THREADS,
    access: 'unrestricted',
  });
  const store = path.join(args.dir, 'offline');
  const view = (name: string) =>
    `read_parquet(${quoteString(viewGlob(store, name))}, hive_partitioning = false)`;
  const copied = await connection.runAndReadAll(`COPY (
    SELECT e.driver_id, e.customer_id, e.event_timestamp, e.label,
      CASE WHEN a.event_timestamp >= e.event_timestamp - INTERVAL 1 DAY THEN a.conv_rate END AS conv_rate,
      CASE WHEN a.event_timestamp >= e.event_timestamp - INTERVAL 1 DAY THEN a.acc_rate END AS acc_rate,
      CASE WHEN a.event_timestamp >= e.event_timestamp - INTERVAL 1 DAY THEN a.trips END AS trips,
      CASE WHEN b.event_timestamp >= e.event_timestamp - INTERVAL 7 DAY THEN b.balance END AS balance,
      CASE WHEN b.event_timestamp >= e.event_timestamp - INTERVAL 7 DAY THEN b.lifetime_trips END AS lifetime_trips,
      CASE WHEN c.event_timestamp >= e.event_timestamp - INTERVAL 30 DAY THEN c.fare END AS fare
    FROM read_parquet(${quoteString(args.entities)}, file_row_number = true) e
    ASOF LEFT JOIN ${view('driver_hourly')} a ON e.driver_id = a.driver_id AND e.event_timestamp >= a.event_timestamp
    ASOF LEFT JOIN ${view('customer_profile')} b ON e.customer_id = b.customer_id AND e.event_timestamp >= b.event_timestamp
    ASOF LEFT JOIN ${view('driver_customer')} c
      ON e.driver_id = c.driver_id AND e.customer_id = c.customer_id AND e.event_timestamp >= c.event_timestamp
    ORDER BY e.file_row_number
  ) TO ${quoteString(args.out)} (FORMAT parquet, COMPRESSION zstd)`);
  const rows = Number(copied.getColumns()[0]?.[0] ?? 0);
  connection.closeSync();
  instance.closeSync();
  return rows;
}
