/**
 * Work measured by the offline.odfv scenario, run in child processes (see measure.ts): a feature
 * repo applied from YAML with a batch view `driver_stats` over a Parquet source and two on-demand
 * views computing the same feature, `fare / fare_mean`, in row form (`fare_ratio`) and in column
 * form (`fare_ratio_cols`); its entity tables (the request field `fare` a column of them); a
 * training dataset of them as an in-memory Arrow table; and the check that the on-demand values
 * are right.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Table } from 'apache-arrow';
import { loadConfig } from '../../src/config/trove-config.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';

const THREADS = 2;
const START = '2025-12-01 00:00:00+00';
const SPAN_US = 30n * 86_400_000_000n;

export const STORED = ['driver_stats:fare_mean', 'driver_stats:trips', 'driver_stats:rating'];
export const ROW_FEATURE = 'fare_ratio:fare_vs_mean';
export const COLUMN_FEATURE = 'fare_ratio_cols:fare_vs_mean_c';

/** Which dataset: the stored features alone, or with the on-demand feature in either form. */
export type OdfvVariant = 'stored' | 'row' | 'columns';

const FEATURES: Record<OdfvVariant, string[]> = {
  stored: STORED,
  row: [...STORED, ROW_FEATURE],
  columns: [...STORED, COLUMN_FEATURE],
};

const DEFS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: driver_src
    kind: parquet
    path: src/driver_stats.parquet
    timestampField: ts
featureViews:
  - name: driver_stats
    entities: [driver]
    source: driver_src
    ttl: 7d
    features:
      - { name: fare_mean, type: float64 }
      - { name: trips, type: int64 }
      - { name: rating, type: float32 }
  - name: fare_ratio
    kind: onDemand
    request: [{ name: fare, type: float64 }]
    inputs: ["driver_stats:fare_mean"]
    features: [{ name: fare_vs_mean, type: float64 }]
    transform: transforms.ts#fareRatio
  - name: fare_ratio_cols
    kind: onDemand
    mode: columns
    request: [{ name: fare, type: float64 }]
    inputs: ["driver_stats:fare_mean"]
    features: [{ name: fare_vs_mean_c, type: float64 }]
    transform: transforms.ts#fareRatioColumns
`;

const TRANSFORMS = `export function fareRatio(row: Record<string, unknown>) {
  const mean = row.fare_mean as number | null;
  return { fare_vs_mean: mean == null ? null : (row.fare as number) / mean };
}
export function fareRatioColumns(columns: Record<string, unknown[]>, rows: number) {
  const fare = columns.fare as number[];
  const mean = columns.fare_mean as (number | null)[];
  const out = new Array(rows);
  for (let i = 0; i < rows; i++) out[i] = mean[i] == null ? null : fare[i] / mean[i];
  return { fare_vs_mean_c: out };
}
`;

function driversOf(featureRows: number): number {
  return Math.max(100, Math.round(featureRows / 100));
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

const env = { ...process.env, TROVE_API_KEYS: '' };

async function openStore(dir: string): Promise<FeatureStore> {
  return FeatureStore.open(dir, { env });
}

/** The repo, its deterministic source (values hashes of the row number) and its computed view. */
export async function generateStore(args: { dir: string; featureRows: number }): Promise<string> {
  const { dir, featureRows } = args;
  if (await exists(path.join(dir, 'offline', 'views', 'driver_stats'))) return 'cached';
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(
    path.join(dir, 'trove.yaml'),
    `project: bench_odfv\nofflineStore:\n  path: offline\n  memoryLimit: 1GB\n  threads: ${THREADS}\n`,
  );
  await writeFile(path.join(dir, 'defs.yaml'), DEFS);
  await writeFile(path.join(dir, 'transforms.ts'), TRANSFORMS);
  const { instance, connection } = await openDuckDb({
    memoryLimit: '2GB',
    threads: THREADS,
    access: 'unrestricted',
  });
  await connection.run(
    `COPY (SELECT (hash(i, 1) % ${driversOf(featureRows)})::BIGINT AS driver_id,
       TIMESTAMPTZ '${START}' + to_microseconds((hash(i, 2) % ${SPAN_US})::BIGINT) AS ts,
       CASE WHEN i % 17 = 0 THEN NULL ELSE 1 + (hash(i, 3) % 10000) / 100.0 END AS fare_mean,
       (hash(i, 4) % 50)::BIGINT AS trips, ((hash(i, 5) % 500) / 100.0)::FLOAT AS rating
     FROM range(${featureRows}) t(i)) TO ${quoteString(path.join(dir, 'src', 'driver_stats.parquet'))} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  await applyRepo(await loadConfig(dir, env));
  const store = await openStore(dir);
  try {
    await store.compute();
  } finally {
    await store.close();
  }
  return 'generated';
}

/** An entity table of `rows` rows in random key and time order, with the request field `fare`. */
export async function generateEntities(args: {
  file: string;
  rows: number;
  featureRows: number;
}): Promise<string> {
  if (await exists(args.file)) return 'cached';
  const { instance, connection } = await openDuckDb({ threads: THREADS, access: 'unrestricted' });
  await connection.run(
    `COPY (SELECT (hash(i, 21) % ${driversOf(args.featureRows)})::BIGINT AS driver_id,
       TIMESTAMPTZ '${START}' + to_microseconds((hash(i, 23) % ${SPAN_US})::BIGINT) AS event_timestamp,
       1 + (hash(i, 24) % 5000) / 100.0 AS fare
     FROM range(${args.rows}) t(i)) TO ${quoteString(args.file)} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  return 'generated';
}

/** The training dataset as a user gets it in memory: `getHistoricalFeatures` to an Arrow table. */
export async function troveDataset(args: {
  dir: string;
  entities: string;
  variant: OdfvVariant;
}): Promise<number> {
  const store = await openStore(args.dir);
  try {
    const table = await store.getHistoricalFeatures({
      entities: args.entities,
      features: FEATURES[args.variant],
    });
    return table.numRows;
  } finally {
    await store.close();
  }
}

/**
 * Every row of the datasets with the on-demand feature in either form: its stored columns equal the
 * dataset without it, and the feature is `fare / fare_mean` (null where `fare_mean` is).
 */
export async function checkDatasets(args: { dir: string; entities: string; rows: number }): Promise<string> {
  const store = await openStore(args.dir);
  try {
    const get = (variant: OdfvVariant) =>
      store.getHistoricalFeatures({ entities: args.entities, features: FEATURES[variant] }) as Promise<Table>;
    const stored = await get('stored');
    let values = 0;
    for (const [variant, name] of [
      ['row', 'fare_vs_mean'],
      ['columns', 'fare_vs_mean_c'],
    ] as const) {
      const table = await get(variant);
      if (table.numRows !== args.rows || stored.numRows !== args.rows)
        throw new Error(
          `${variant}: ${table.numRows} rows, without it ${stored.numRows}; expected ${args.rows}`,
        );
      const column = (t: Table, c: string) => {
        const v = t.getChild(c);
        if (!v)
          throw new Error(`${variant}: no column ${c} in ${t.schema.fields.map((f) => f.name).join(', ')}`);
        return v.toArray() as ArrayLike<unknown>;
      };
      const fare = column(table, 'fare');
      const feature = table.getChild(name);
      const mean = stored.getChild('fare_mean');
      if (!feature || !mean) throw new Error(`${variant}: no column ${name} or fare_mean`);
      for (const c of ['driver_id', 'event_timestamp', 'fare', 'fare_mean', 'trips', 'rating']) {
        const a = table.getChild(c);
        const b = stored.getChild(c);
        for (let r = 0; r < args.rows; r++)
          if (a?.get(r) !== b?.get(r))
            throw new Error(
              `${variant}, row ${r}: ${c} is ${a?.get(r)}, without the on-demand feature ${b?.get(r)}`,
            );
      }
      for (let r = 0; r < args.rows; r++) {
        const m = mean.get(r) as number | null;
        const expected = m === null ? null : (fare[r] as number) / m;
        if (feature.get(r) !== expected)
          throw new Error(
            `${variant}, row ${r}: ${name} is ${feature.get(r)}, expected ${expected} (fare ${fare[r]}, fare_mean ${m})`,
          );
        if (expected !== null) values++;
      }
    }
    if (values === 0) throw new Error('no row has a fare_mean: the data is not what it should be');
    return `${args.rows} rows in both forms: ${values / 2} non-null values equal fare / fare_mean, nulls where fare_mean is null, stored columns unchanged`;
  } finally {
    await store.close();
  }
}
