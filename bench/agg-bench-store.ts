/**
 * The aggregation view the online.agg and push.agg benchmarks serve, set up as a user would: a
 * repo with a Parquet source of trips (driver, event time, fare, city) spread over the 60 days up
 * to now, a push source `trips_push` whose batch source it is, and `trip_aggs` over the push
 * source (count, fare sum and mean over 1h, 1d, 7d, 30d, city last over 30d: the 13 features of
 * offline.agg). `apply`, `compute` and `materialize` are Trove's own. The store is the HTTP
 * benchmarks' (http-bench-store.ts: scratch folder, key prefix, bare keys, cleanup), re-applied
 * with this repo. Events end at the setup's wall clock, so every run generates them afresh.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openDuckDb } from '../src/duckdb/open-duckdb.ts';
import { quoteString } from '../src/duckdb/sql-literals.ts';
import { applyRepo } from '../src/registry/apply-repo.ts';
import { type BenchStore, openBenchStore } from './http-bench-store.ts';
import { FEATURE_COLUMNS } from './tasks/offline-agg-tasks.ts';

export const AGG_VIEW = 'trip_aggs';
export const AGG_PUSH_SOURCE = 'trips_push';
/** The view's 13 features as a request names them, in the order of the view. */
export const AGG_FEATURES: readonly string[] = FEATURE_COLUMNS.map((f) => `${AGG_VIEW}:${f}`);
/** The one string feature; the others are numbers. */
export const AGG_STRING_FEATURE = 'city_last_30d';
/** The finest granularity of the view's windows: within one such step every window starts alike. */
export const AGG_STEP_MS = 5 * 60_000;

const DAY_MS = 86_400_000;
const EVENT_SPAN_MS = 60 * DAY_MS;
const SIZE_VARIABLE = 'TROVE_BENCH_AGG_SIZE';

export interface AggBenchSize {
  drivers: number;
  events: number;
}

/**
 * 100 events per driver over 60 days, as in offline.agg. Quick runs keep 10k drivers: each push
 * adds fields to its drivers' state, and with their shorter loads push.agg's batches then reach a
 * driver about as many times as at full size (5–10), so both see state of the same size.
 */
export function aggBenchSize(quick: boolean): AggBenchSize {
  return quick ? { drivers: 10_000, events: 1_000_000 } : { drivers: 50_000, events: 5_000_000 };
}

/**
 * The size a server child sets up: the scenario names it in the environment the child inherits
 * (http-server-child.ts starts it without arguments).
 */
export function announceAggBenchSize(quick: boolean): AggBenchSize {
  const size = aggBenchSize(quick);
  process.env[SIZE_VARIABLE] = JSON.stringify(size);
  return size;
}

export function announcedAggBenchSize(): AggBenchSize {
  const text = process.env[SIZE_VARIABLE];
  if (!text) throw new Error(`${SIZE_VARIABLE} is not set; the benchmark scenario sets it`);
  return JSON.parse(text) as AggBenchSize;
}

const DEFINITIONS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - { name: trips, kind: parquet, path: data/trips.parquet, timestampField: event_timestamp }
  - { name: ${AGG_PUSH_SOURCE}, kind: push, batchSource: trips, timestampField: event_timestamp }
featureViews:
  - name: ${AGG_VIEW}
    kind: aggregation
    entities: [driver]
    source: ${AGG_PUSH_SOURCE}
    aggregations:
      - { function: count, windows: [1h, 1d, 7d, 30d] }
      - { column: fare, function: sum, windows: [1h, 1d, 7d, 30d] }
      - { column: fare, function: mean, windows: [1h, 1d, 7d, 30d] }
      - { column: city, function: last, windows: [30d] }
`;

/**
 * Deterministic trips (values are hashes of the row number) of drivers 0 … drivers − 1: a random
 * millisecond in the 60 days before `end`, a fare of 0.00–99.99 and one of 50 cities.
 */
async function writeTrips(file: string, size: AggBenchSize, end: Date): Promise<void> {
  const { instance, connection } = await openDuckDb({ threads: 2, access: 'unrestricted' });
  try {
    await connection.run(
      `COPY (SELECT (hash(i, 1) % ${size.drivers})::BIGINT AS driver_id,
         make_timestamptz(${end.getTime() * 1000}::BIGINT) - to_milliseconds((hash(i, 2) % ${EVENT_SPAN_MS})::BIGINT) AS event_timestamp,
         (hash(i, 3) % 10000) / 100.0 AS fare, 'city_' || (hash(i, 4) % 50)::VARCHAR AS city
       FROM range(${size.events}) t(i)) TO ${quoteString(file)} (FORMAT parquet)`,
    );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** What the setup did, for the log. */
export interface AggBenchSetup {
  bench: BenchStore;
  /** The newest event's time: every generated event is at or before it. */
  end: Date;
  log: string;
}

/** A store serving `trip_aggs` online: events generated, applied, computed and materialized. */
export async function openAggBenchStore(project: string, size: AggBenchSize): Promise<AggBenchSetup> {
  const bench = await openBenchStore(project);
  try {
    const { store } = bench;
    const { repoDir } = store.config;
    await writeFile(path.join(repoDir, 'definitions.yaml'), DEFINITIONS);
    const end = new Date(Date.now() - 1000);
    const t0 = performance.now();
    await mkdir(path.join(repoDir, 'data'));
    await writeTrips(path.join(repoDir, 'data', 'trips.parquet'), size, end);
    const t1 = performance.now();
    await applyRepo(store.config);
    await store.compute();
    const t2 = performance.now();
    await store.materialize({
      start: new Date(end.getTime() - EVENT_SPAN_MS - DAY_MS),
      end: new Date(),
      views: [AGG_VIEW],
    });
    const t3 = performance.now();
    const s = (a: number, b: number) => `${((b - a) / 1000).toFixed(1)} s`;
    const log = `${size.events} events of ${size.drivers} drivers: generated in ${s(t0, t1)}, applied and computed in ${s(t1, t2)}, materialized in ${s(t2, t3)}`;
    return { bench, end, log };
  } catch (err) {
    await bench.close();
    throw err;
  }
}
