/**
 * The final step of a distributed training dataset: the shards' part files, read together, ordered
 * by the entity-row number every row kept and written without it, as the single-process query
 * writes its result (same COPY options, same order, same column types, which Parquet keeps). DuckDB
 * sorts out of core, so memory stays within the offline store's limit whatever the dataset's size.
 */
import { quoteString } from '../../duckdb/sql-literals.ts';
import { ENTITY_ROW } from '../entity-input.ts';
import { copyOptions } from '../historical-output.ts';
import { type OfflineConfig, openOfflineDuckDb } from '../offline-duckdb.ts';

/** Writes the merged rows to `temp` (renamed into place by the caller); returns the row count. */
export async function mergeParts(
  config: OfflineConfig,
  parts: readonly string[],
  temp: string,
  format: 'parquet' | 'csv',
): Promise<number> {
  const db = await openOfflineDuckDb(config, [temp]);
  try {
    const copied = await db.connection.runAndReadAll(
      `COPY (SELECT * EXCLUDE (${ENTITY_ROW}) FROM read_parquet([${parts.map(quoteString).join(', ')}]) ORDER BY ${ENTITY_ROW}) TO ${quoteString(temp)} (${copyOptions(format)})`,
    );
    return Number(copied.getColumns()[0]?.[0] ?? 0);
  } finally {
    db.close();
  }
}
