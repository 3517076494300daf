/**
 * Work measured by the offline.agg scenario, run in child processes (see measure.ts): generating
 * the events and computing them into the store, Trove's training dataset over an aggregation view,
 * the hand-written DuckDB query it is compared with, and the check that both give the same values.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  aggregationViewSchema,
  registerAggregationView,
} from '../../src/definitions/aggregation/aggregation-view.ts';
import { entitySchema } from '../../src/definitions/entity.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { eventIndexFolder } from '../../src/offline/aggregation/event-index.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { writeHistoricalFile } from '../../src/offline/historical-output.ts';
import type { OfflineConfig } from '../../src/offline/offline-duckdb.ts';
import { viewGlob } from '../../src/offline/offline-layout.ts';
import { Registry } from '../../src/registry/registry.ts';

export const MEMORY_LIMIT = '1GB';
export const THREADS = 2;
const VIEW = 'trip_aggs';
const START = '2025-11-01 00:00:00+00';
const DAY_US = 86_400_000_000n;
/** Events span 60 days; entity rows fall in the last 30, so every window is full of history. */
const EVENT_SPAN_US = 60n * DAY_US;
const ENTITY_SPAN_US = 30n * DAY_US;
/** Average events per entity (10M events over 100k entities). */
const EVENTS_PER_ENTITY = 100;

const WINDOWS = ['1h', '1d', '7d', '30d'] as const;
/** Each window in µs with its default granularity (SPEC §7: 5m up to 12h, 1h up to 12d, 1d beyond). */
const WINDOW_US: Record<(typeof WINDOWS)[number], { w: bigint; g: bigint }> = {
  '1h': { w: 3_600_000_000n, g: 300_000_000n },
  '1d': { w: DAY_US, g: 3_600_000_000n },
  '7d': { w: 7n * DAY_US, g: 3_600_000_000n },
  '30d': { w: 30n * DAY_US, g: DAY_US },
};

/** The 13 features, in the order `trip_aggs:*` gives them. */
export const FEATURE_COLUMNS: readonly string[] = [
  ...WINDOWS.map((w) => `count_${w}`),
  ...WINDOWS.map((w) => `fare_sum_${w}`),
  ...WINDOWS.map((w) => `fare_mean_${w}`),
  'city_last_30d',
];
/** Features compared within a relative 1e-9 (SPEC §7); the others must be equal exactly. */
const FLOAT_COLUMNS = new Set(FEATURE_COLUMNS.filter((c) => c.startsWith('fare_')));

export function benchConfig(dir: string): OfflineConfig {
  return {
    repoDir: dir,
    offlineStorePath: path.join(dir, 'offline'),
    offlineStore: { path: 'offline', memoryLimit: MEMORY_LIMIT, threads: THREADS },
  };
}

export function benchRegistry(dir: string): Registry {
  const definition = aggregationViewSchema.parse({
    kind: 'aggregation',
    name: VIEW,
    entities: ['driver'],
    source: 'trips',
    aggregations: [
      { function: 'count', windows: [...WINDOWS] },
      { column: 'fare', function: 'sum', windows: [...WINDOWS] },
      { column: 'fare', function: 'mean', windows: [...WINDOWS] },
      { column: 'city', function: 'last', windows: ['30d'] },
    ],
  });
  const types: Record<string, 'float64' | 'string'> = { fare: 'float64', city: 'string' };
  return Registry.of('bench', {
    entities: [entitySchema.parse({ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] })],
    sources: [
      sourceSchema.parse({
        kind: 'parquet',
        name: 'trips',
        path: path.join(dir, 'src', 'trips.parquet'),
        timestampField: 'ts',
      }),
    ],
    featureViews: [registerAggregationView(definition, (c) => types[c]!)],
    featureServices: [],
  });
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

const entityCount = (events: number): number => Math.max(100, Math.round(events / EVENTS_PER_ENTITY));

/**
 * Deterministic events (values are hashes of the row number): a driver, a random microsecond in 60
 * days, a fare in cents as a double and one of 50 cities; computed into the store by compute.
 */
export async function generateStore(args: { dir: string; events: number }): Promise<string> {
  const { dir, events } = args;
  // A store computed before compute wrote event indexes is computed again.
  if (await exists(path.join(eventIndexFolder(path.join(dir, 'offline'), VIEW), 'manifest.json')))
    return 'cached';
  await mkdir(path.join(dir, 'src'), { recursive: true });
  const { instance, connection } = await openDuckDb({
    memoryLimit: '2GB',
    threads: THREADS,
    access: 'unrestricted',
  });
  await connection.run(
    `COPY (SELECT (hash(i, 1) % ${entityCount(events)})::BIGINT AS driver_id,
       TIMESTAMPTZ '${START}' + to_microseconds((hash(i, 2) % ${EVENT_SPAN_US})::BIGINT) AS ts,
       (hash(i, 3) % 10000) / 100.0 AS fare, 'city_' || (hash(i, 4) % 50)::VARCHAR AS city
     FROM range(${events}) t(i)) TO ${quoteString(path.join(dir, 'src', 'trips.parquet'))} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  await computeViews(benchConfig(dir), benchRegistry(dir));
  return 'generated';
}

/** An entity table of `rows` rows (driver, time in the events' last 30 days, label), random order. */
export async function generateEntities(args: {
  file: string;
  rows: number;
  events: number;
}): Promise<string> {
  if (await exists(args.file)) return 'cached';
  const { instance, connection } = await openDuckDb({ threads: THREADS, access: 'unrestricted' });
  await connection.run(
    `COPY (SELECT (hash(i, 21) % ${entityCount(args.events)})::BIGINT AS driver_id,
       TIMESTAMPTZ '${START}' + to_microseconds((${EVENT_SPAN_US - ENTITY_SPAN_US} + hash(i, 22) % ${ENTITY_SPAN_US})::BIGINT) AS event_timestamp,
       (hash(i, 23) % 2 = 0) AS label
     FROM range(${args.rows}) t(i)) TO ${quoteString(args.file)} (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
  return 'generated';
}

/** Trove's training-dataset path (what `getHistoricalFeatures` with `out` runs): entity Parquet in, Parquet out. */
export async function troveAgg(args: { dir: string; entities: string; out: string }): Promise<number> {
  const result = await writeHistoricalFile(
    benchConfig(args.dir),
    benchRegistry(args.dir),
    { entities: args.entities, features: [`${VIEW}:*`] },
    args.out,
  );
  return result.rows;
}

/**
 * The baseline: a range join written by hand in DuckDB. Each entity row is joined to its driver's
 * events from its 30d window start to its time and grouped by its row number, and every count and
 * sum is a conditional aggregate over the events at or after its own SPEC §7 start
 * `ceil((t − w) / g) · g` (in BIGINT µs, floor modulo so the boundary is exact); each mean is its
 * window's sum over its count (the source has no null fare). `last` is the greatest rank in the window
 * (each driver's events numbered by event time, then city), its city looked up by (driver, rank).
 * The entity columns are joined back to the aggregates by row number. Output in entity-file order,
 * COPY to zstd Parquet, same settings as Trove's. It does not check the entity table or prune
 * partitions.
 */
export async function rangeJoinBaseline(args: {
  dir: string;
  entities: string;
  out: string;
}): Promise<number> {
  const { instance, connection } = await openDuckDb({
    memoryLimit: MEMORY_LIMIT,
    threads: THREADS,
    access: 'unrestricted',
  });
  const events = `read_parquet(${quoteString(viewGlob(path.join(args.dir, 'offline'), VIEW))}, hive_partitioning = false)`;
  const start = (w: bigint, g: bigint) => `t - ${w} + (((${w} - t) % ${g}) + ${g}) % ${g}`;
  const starts = WINDOWS.map((w) => `${start(WINDOW_US[w].w, WINDOW_US[w].g)} AS s_${w}`).join(', ');
  const within = (w: string) => `FILTER (WHERE x.ets >= e.s_${w})`;
  const aggregates = [
    ...WINDOWS.map((w) => `count(x.ets) ${within(w)} AS count_${w}`),
    ...WINDOWS.map((w) => `coalesce(sum(x.fare) ${within(w)}, 0) AS fare_sum_${w}`),
    `max(x.rk) ${within('30d')} AS last_rk`,
  ].join(',\n      ');
  // Measured faster than the alternatives at 1M rows (see docs/benchmarks.md): grouping by row
  // number alone with the entity columns joined back (not carried as any_value() states), and last
  // as the greatest rank then a lookup (arg_max(city, ets) over strings took twice the CPU).
  // A mean is the sum over the count: the source has no null fare, and one aggregate fewer per
  // window than avg() was 15% less CPU at 1M rows.
  const feature = (c: string): string => {
    if (c === 'city_last_30d') return `l.city AS ${c}`;
    if (c.startsWith('fare_mean_')) {
      const w = c.slice('fare_mean_'.length);
      return `a.fare_sum_${w} / nullif(a.count_${w}, 0) AS ${c}`;
    }
    return `a.${c}`;
  };
  const features = FEATURE_COLUMNS.map(feature).join(', ');
  const copied = await connection.runAndReadAll(`COPY (
    WITH e AS (
      SELECT file_row_number AS rn, driver_id, event_timestamp, label, t, ${starts}
      FROM (SELECT *, epoch_us(event_timestamp) AS t FROM read_parquet(${quoteString(args.entities)}, file_row_number = true))
    ),
    x AS (
      SELECT *, row_number() OVER (PARTITION BY driver_id ORDER BY ets, city) AS rk
      FROM (SELECT driver_id, epoch_us(event_timestamp) AS ets, fare, city FROM ${events})
    ),
    a AS (
      SELECT e.rn, ${aggregates}
      FROM e LEFT JOIN x ON x.driver_id = e.driver_id AND x.ets >= e.s_30d AND x.ets <= e.t
      GROUP BY e.rn
    )
    SELECT e.driver_id, e.event_timestamp, e.label, ${features}
    FROM e JOIN a ON a.rn = e.rn LEFT JOIN x l ON l.driver_id = e.driver_id AND l.rk = a.last_rk
    ORDER BY e.rn
  ) TO ${quoteString(args.out)} (FORMAT parquet, COMPRESSION zstd)`);
  const rows = Number(copied.getColumns()[0]?.[0] ?? 0);
  connection.closeSync();
  instance.closeSync();
  return rows;
}

/**
 * Compares Trove's output with the baseline's row by row (in file order): counts and `last`
 * exactly, float sums and means within a relative 1e-9, pass-through columns exactly. Returns the
 * number of differing values per column (only columns with differences) and the row counts.
 */
export async function compareOutputs(args: {
  trove: string;
  baseline: string;
}): Promise<{ troveRows: number; baselineRows: number; mismatches: Record<string, number> }> {
  const { instance, connection } = await openDuckDb({
    memoryLimit: '1GB',
    threads: THREADS,
    access: 'unrestricted',
  });
  const columns = ['driver_id', 'event_timestamp', 'label', ...FEATURE_COLUMNS];
  const differs = (c: string) =>
    FLOAT_COLUMNS.has(c)
      ? `(a.${c} IS NULL) <> (b.${c} IS NULL) OR abs(a.${c} - b.${c}) > 1e-9 * greatest(abs(a.${c}), abs(b.${c}))`
      : `a.${c} IS DISTINCT FROM b.${c}`;
  const read = (file: string) => `read_parquet(${quoteString(file)}, file_row_number = true)`;
  const reader = await connection.runAndReadAll(`SELECT
      (SELECT count(*) FROM ${read(args.trove)}) AS trove_rows,
      (SELECT count(*) FROM ${read(args.baseline)}) AS baseline_rows,
      ${columns.map((c) => `count(*) FILTER (WHERE a.file_row_number IS NULL OR b.file_row_number IS NULL OR ${differs(c)}) AS ${c}`).join(', ')}
    FROM ${read(args.trove)} a FULL JOIN ${read(args.baseline)} b ON a.file_row_number = b.file_row_number`);
  const row = reader.getRowObjects()[0]!;
  connection.closeSync();
  instance.closeSync();
  const mismatches: Record<string, number> = {};
  for (const c of columns) if (Number(row[c]) > 0) mismatches[c] = Number(row[c]);
  return { troveRows: Number(row.trove_rows), baselineRows: Number(row.baseline_rows), mismatches };
}
