/**
 * The final step of a distributed training dataset of several buckets (one bucket is one shard,
 * which writes the output itself): each key group's parts, read together, joined on the entity-row
 * number every row kept (each group holds every entity row once), ordered by it and written
 * without it, as the single-process query writes its result (same columns in the same order, same
 * COPY options, same column types, which Parquet keeps). DuckDB joins and sorts out of
 * core, so memory stays within the offline store's limit whatever the dataset's size.
 */
import { quoteIdentifier, quoteString } from '../../duckdb/sql-literals.ts';
import { ENTITY_ROW } from '../entity-input.ts';
import { copyOptions } from '../historical-output.ts';
import { type OfflineConfig, openOfflineDuckDb } from '../offline-duckdb.ts';
import type { HistoricalJobPlan } from './historical-job.ts';

/** The query of the merged rows, from each group's part files. */
export function mergeSql(
  plan: Pick<HistoricalJobPlan, 'columns' | 'outputs' | 'groups'>,
  parts: readonly string[][],
): string {
  const read = (files: readonly string[]) => `read_parquet([${files.map(quoteString).join(', ')}])`;
  if (parts.length === 1)
    return `SELECT * EXCLUDE (${ENTITY_ROW}) FROM ${read(parts[0]!)} ORDER BY ${ENTITY_ROW}`;
  const groupOf = new Map<string, number>();
  plan.groups.forEach((group, g) => {
    for (const o of group.outputs) groupOf.set(o, g);
  });
  const select = [
    ...plan.columns.map((c) => `p0.${quoteIdentifier(c)}`),
    ...plan.outputs.map((o) => `p${groupOf.get(o)}.${quoteIdentifier(o)}`),
  ];
  const joins = parts
    .slice(1)
    .map((files, i) => `JOIN ${read(files)} p${i + 1} ON p${i + 1}.${ENTITY_ROW} = p0.${ENTITY_ROW}`);
  return `SELECT ${select.join(', ')} FROM ${read(parts[0]!)} p0 ${joins.join(' ')} ORDER BY p0.${ENTITY_ROW}`;
}

/** Writes the merged rows to `temp` (renamed into place by the caller); returns the row count. */
export async function mergeParts(
  config: OfflineConfig,
  plan: Pick<HistoricalJobPlan, 'columns' | 'outputs' | 'groups'>,
  parts: readonly string[][],
  temp: string,
  format: 'parquet' | 'csv',
): Promise<number> {
  const db = await openOfflineDuckDb(config, [temp]);
  try {
    const copied = await db.connection.runAndReadAll(
      `COPY (${mergeSql(plan, parts)}) TO ${quoteString(temp)} (${copyOptions(format)})`,
    );
    return Number(copied.getColumns()[0]?.[0] ?? 0);
  } finally {
    db.close();
  }
}
