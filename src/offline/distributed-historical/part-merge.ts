/**
 * The final step of a distributed training dataset: each key group's parts, read together, put
 * together by the entity-row number every row kept (each group holds every entity row once), in
 * its order, and written without it, as the single-process query writes its result (same columns in the same
 * order, same COPY options, same column types, which Parquet keeps). DuckDB joins and sorts out of
 * core, so memory stays within the offline store's limit whatever the dataset's size.
 */
import { quoteIdentifier, quoteString } from '../../duckdb/sql-literals.ts';
import { ENTITY_ROW } from '../entity-input.ts';
import { copyOptions } from '../historical-output.ts';
import { type OfflineConfig, openOfflineDuckDb } from '../offline-duckdb.ts';
import type { HistoricalJobPlan } from './historical-job.ts';

/**
 * The query of the merged rows, from each group's part files. When every group is one part (one
 * bucket), each part already holds every entity row in row-number order: the groups are put side
 * by side (POSITIONAL JOIN), one streaming pass with neither a join nor a sort; a row whose
 * numbers differ across groups is dropped, which the caller's row count check turns into an error.
 * Otherwise the groups' parts are joined on the row number and sorted by it.
 */
export function mergeSql(
  plan: Pick<HistoricalJobPlan, 'columns' | 'outputs' | 'groups'>,
  parts: readonly string[][],
): string {
  const read = (files: readonly string[]) => `read_parquet([${files.map(quoteString).join(', ')}])`;
  const positional = parts.every((files) => files.length === 1);
  if (parts.length === 1)
    return `SELECT * EXCLUDE (${ENTITY_ROW}) FROM ${read(parts[0]!)}${positional ? '' : ` ORDER BY ${ENTITY_ROW}`}`;
  const groupOf = new Map<string, number>();
  plan.groups.forEach((group, g) => {
    for (const o of group.outputs) groupOf.set(o, g);
  });
  const select = [
    ...plan.columns.map((c) => `p0.${quoteIdentifier(c)}`),
    ...plan.outputs.map((o) => `p${groupOf.get(o)}.${quoteIdentifier(o)}`),
  ];
  const rowOf = (i: number) => `p${i}.${ENTITY_ROW}`;
  if (positional) {
    const joins = parts.slice(1).map((files, i) => `POSITIONAL JOIN ${read(files)} p${i + 1}`);
    const same = parts.slice(1).map((_, i) => `${rowOf(i + 1)} = ${rowOf(0)}`);
    return `SELECT ${select.join(', ')} FROM ${read(parts[0]!)} p0 ${joins.join(' ')} WHERE ${same.join(' AND ')}`;
  }
  const joins = parts
    .slice(1)
    .map((files, i) => `JOIN ${read(files)} p${i + 1} ON ${rowOf(i + 1)} = ${rowOf(0)}`);
  return `SELECT ${select.join(', ')} FROM ${read(parts[0]!)} p0 ${joins.join(' ')} ORDER BY ${rowOf(0)}`;
}

/** Writes the merged rows to `temp` (renamed into place by the caller); returns the row count. */
export async function mergeParts(
  config: OfflineConfig,
  plan: Pick<HistoricalJobPlan, 'columns' | 'outputs' | 'groups'>,
  parts: readonly string[][],
  temp: string,
  format: 'parquet' | 'csv',
  /** The entity rows: every one must be written once. */
  expected: number,
): Promise<number> {
  const db = await openOfflineDuckDb(config, [temp]);
  try {
    const copied = await db.connection.runAndReadAll(
      `COPY (${mergeSql(plan, parts)}) TO ${quoteString(temp)} (${copyOptions(format)})`,
    );
    const written = Number(copied.getColumns()[0]?.[0] ?? 0);
    if (written !== expected)
      throw new Error(`training-dataset merge: ${written} rows written of ${expected} entity rows`);
    return written;
  } finally {
    db.close();
  }
}
