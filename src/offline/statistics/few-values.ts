/**
 * Which columns of Parquet files hold few distinct values, read from the files' footers alone:
 * DuckDB's Parquet writer stores such a column as a dictionary per row group and records the
 * dictionary's size as the row group's distinct count. Statistics describe those columns from their
 * distinct values (compute-statistics.ts), which is cheaper than binning and hashing every value.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** At most one distinct value per this many values, over all the files' row groups. */
const VALUES_PER_DISTINCT = 4;

/**
 * The names among `columns` that every row group of `files` (SQL of a path or list of paths, globs
 * allowed) stores with at most one distinct value per VALUES_PER_DISTINCT values; none when the
 * footers cannot be read or say nothing of it.
 */
export async function fewValueColumns(
  connection: DuckDBConnection,
  files: string,
  columns: readonly string[],
): Promise<Set<string>> {
  const wanted = new Set(columns);
  if (wanted.size === 0) return new Set();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT path_in_schema FROM parquet_metadata(${files})
       GROUP BY path_in_schema
       HAVING count(*) = count(stats_distinct_count)
         AND sum(stats_distinct_count) * ${VALUES_PER_DISTINCT} <= sum(num_values)`,
    );
    return new Set(
      reader
        .getRowsJS()
        .map((row) => String(row[0]))
        .filter((name) => wanted.has(name)),
    );
  } catch {
    // A hint only: the statistics are the same without it.
    return new Set();
  }
}
