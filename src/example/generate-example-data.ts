import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { openDuckDb } from '../duckdb/open-duckdb.ts';
import { quoteString } from '../duckdb/sql-literals.ts';

/** How much example data to make. */
export interface ExampleDataOptions {
  /** Total feature rows across the three tables (about). */
  rows?: number;
  /** Rows of the training entity table. */
  entityRows?: number;
  seed?: number;
  /** Last event time in the data; the data spans the 30 days before it. */
  end?: Date;
}

export const EXAMPLE_END = new Date('2026-01-01T00:00:00Z');
const SPAN_DAYS = 30;

/** Sizes derived from the row count, so any size keeps the same shape. */
export function exampleSizes(rows: number) {
  return {
    drivers: Math.max(10, Math.round(rows / 100)),
    customers: Math.max(20, Math.round(rows / 20)),
    driverStatsRows: Math.round(rows * 0.4),
    customerRows: Math.round(rows * 0.2),
    tripRows: Math.round(rows * 0.4),
  };
}

/**
 * Writes the ride-hailing example's Parquet files into `dir`: driver_stats, customer_profile,
 * trips and a training entity table (training_rows). The same options always give the same bytes
 * of data: every value is a hash of the row number and the seed, so the data is deterministic and
 * generated inside DuckDB at any size without passing through JS.
 */
export async function generateExampleData(dir: string, options: ExampleDataOptions = {}): Promise<void> {
  const rows = options.rows ?? 100_000;
  const entityRows = options.entityRows ?? Math.max(100, Math.round(rows / 10));
  const seed = options.seed ?? 42;
  const end = options.end ?? EXAMPLE_END;
  const s = exampleSizes(rows);
  await mkdir(dir, { recursive: true });
  const { instance, connection } = await openDuckDb({ threads: 2, access: 'unrestricted' });
  // u(k): a uniform number in [0, 1) from the row number i, the seed and a stream k.
  const u = (k: number) => `(hash(i, ${seed}, ${k}) % 1000000) / 1000000.0`;
  const spanUs = SPAN_DAYS * 86_400_000_000;
  const start = `(TIMESTAMPTZ ${quoteString(end.toISOString())} - INTERVAL ${SPAN_DAYS} DAY)`;
  // Event times fall on whole seconds, so several rows of one key can share one (ties break on created).
  const eventTs = (k: number) =>
    `${start} + to_microseconds(((hash(i, ${seed}, ${k}) % ${spanUs / 1_000_000}) * 1000000)::BIGINT)`;
  const out = (name: string) => quoteString(path.join(dir, `${name}.parquet`));
  try {
    await connection.run(`COPY (
      SELECT (1000 + (hash(i, ${seed}, 1) % ${s.drivers}))::BIGINT AS driver_id,
             ${eventTs(2)} AS event_timestamp,
             ${eventTs(2)} + to_microseconds(((hash(i, ${seed}, 3) % 600) * 1000000)::BIGINT) AS created,
             (${u(4)})::FLOAT AS conv_rate,
             (0.5 + ${u(5)} / 2)::FLOAT AS acc_rate,
             (hash(i, ${seed}, 6) % 40)::BIGINT AS avg_daily_trips
      FROM range(${s.driverStatsRows}) t(i) ORDER BY event_timestamp
    ) TO ${out('driver_stats')} (FORMAT parquet)`);
    await connection.run(`COPY (
      SELECT (5000 + (hash(i, ${seed}, 11) % ${s.customers}))::BIGINT AS customer_id,
             ${eventTs(12)} AS event_timestamp,
             ${eventTs(12)} + to_microseconds(((hash(i, ${seed}, 13) % 600) * 1000000)::BIGINT) AS created,
             (round(${u(14)} * 500, 2))::FLOAT AS current_balance,
             (hash(i, ${seed}, 15) % 2000)::BIGINT AS lifetime_trip_count,
             CASE WHEN hash(i, ${seed}, 16) % 10 = 0 THEN NULL ELSE (1 + ${u(17)} * 3)::FLOAT END AS avg_passenger_count
      FROM range(${s.customerRows}) t(i) ORDER BY event_timestamp
    ) TO ${out('customer_profile')} (FORMAT parquet)`);
    await connection.run(`COPY (
      SELECT i::BIGINT AS trip_id,
             (1000 + (hash(i, ${seed}, 21) % ${s.drivers}))::BIGINT AS driver_id,
             (5000 + (hash(i, ${seed}, 22) % ${s.customers}))::BIGINT AS customer_id,
             ${eventTs(23)} AS event_timestamp,
             (round(3 + ${u(24)} * 60, 2))::DOUBLE AS fare,
             (0.5 + ${u(25)} * 30)::FLOAT AS distance_km,
             (1 + hash(i, ${seed}, 26) % 5)::INTEGER AS rating
      FROM range(${s.tripRows}) t(i) ORDER BY event_timestamp
    ) TO ${out('trips')} (FORMAT parquet)`);
    // Half the training rows follow a past trip of the same pair (a rider coming back to a driver),
    // so pair features have history to find; the other half are random pairs. `fare` is the fare of
    // the trip being ranked, drawn as trips' fares are: the request field of fare_vs_driver_mean.
    const trip = (k: number) => `(hash(j, ${seed}, ${k}))`;
    await connection.run(`COPY (
      SELECT CASE WHEN i % 2 = 0 THEN 1000 + ${trip(21)} % ${s.drivers}
                  ELSE 1000 + hash(i, ${seed}, 31) % ${s.drivers} END::BIGINT AS driver_id,
             CASE WHEN i % 2 = 0 THEN 5000 + ${trip(22)} % ${s.customers}
                  ELSE 5000 + hash(i, ${seed}, 32) % ${s.customers} END::BIGINT AS customer_id,
             CASE WHEN i % 2 = 0
                  THEN least(${start} + to_microseconds((${trip(23)} % ${spanUs / 1_000_000} * 1000000)::BIGINT)
                             + to_microseconds((hash(i, ${seed}, 35) % ${7 * 86_400} * 1000000)::BIGINT),
                             TIMESTAMPTZ ${quoteString(end.toISOString())})
                  ELSE ${eventTs(33)} END AS event_timestamp,
             (hash(i, ${seed}, 34) % 3 <> 0) AS trip_completed,
             (round(3 + ${u(37)} * 60, 2))::DOUBLE AS fare
      FROM (SELECT i, hash(i, ${seed}, 36) % ${Math.max(1, s.tripRows)} AS j FROM range(${entityRows}) t(i))
    ) TO ${out('training_rows')} (FORMAT parquet)`);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
