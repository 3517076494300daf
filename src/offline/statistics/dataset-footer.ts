/**
 * What a training dataset's Parquet footer tells its statistics before any value is read: which
 * columns hold only nulls (nothing to compute) and which hold few distinct values (described from
 * their distinct values, which costs less; see compute-statistics.ts). Hints only: the statistics
 * are the same without them.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

/** At most one distinct value per this many values, as few-values.ts counts them. */
const VALUES_PER_DISTINCT = 4;
/**
 * The share of a column's values that row groups recording a distinct count must hold. DuckDB's
 * writer records none for a row group it stores without a dictionary, as it often does for a
 * file's short last row group; the rest still show how many distinct values the column has.
 */
const COVERED = 0.75;

export interface FooterHints {
  /** Columns whose every value is null. */
  allNull: Set<string>;
  /** Columns with few distinct values (see VALUES_PER_DISTINCT and COVERED). */
  fewValues: Set<string>;
}

/** Footer hints for the top-level `columns` of the Parquet file `file` (SQL of its path). */
export async function footerHints(
  connection: DuckDBConnection,
  file: string,
  columns: readonly string[],
): Promise<FooterHints> {
  const hints: FooterHints = { allNull: new Set(), fewValues: new Set() };
  const wanted = new Set(columns);
  if (wanted.size === 0) return hints;
  let rows: unknown[][];
  try {
    rows = (
      await connection.runAndReadAll(
        `SELECT path_in_schema,
           count(*) = count(stats_null_count) AND sum(stats_null_count) = sum(num_values) AS all_null,
           sum(stats_distinct_count) * ${VALUES_PER_DISTINCT} <= sum(num_values) FILTER (WHERE stats_distinct_count IS NOT NULL)
             AND sum(num_values) FILTER (WHERE stats_distinct_count IS NOT NULL) >= ${COVERED} * sum(num_values) AS few
         FROM parquet_metadata(${file})
         GROUP BY path_in_schema`,
      )
    ).getRowsJS() as unknown[][];
  } catch {
    return hints;
  }
  for (const [name, allNull, few] of rows) {
    // A list column's path names its element ("tags.list.element"), never a wanted column.
    if (!wanted.has(String(name))) continue;
    if (allNull === true) hints.allNull.add(String(name));
    else if (few === true) hints.fewValues.add(String(name));
  }
  return hints;
}
