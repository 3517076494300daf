/**
 * The query that feeds materialization: a view's offline rows with event time in a range, reduced
 * in DuckDB to the newest row per entity (greatest event time, then created time, nulls lowest),
 * with timestamps as epoch microseconds so the codec gets exact integers.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { JoinKey } from '../definitions/entity.ts';
import type { FeatureView } from '../definitions/feature-view.ts';
import { duckdbTypeOf, listElementType, type ValueType } from '../definitions/value-type.ts';
import { quoteIdentifier, quoteString } from '../duckdb/sql-literals.ts';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP } from '../offline/offline-layout.ts';
import { utcDateOf } from '../offline/parse-timestamp.ts';
import { viewFiles } from '../offline/view-files.ts';

/** Event-time range in microseconds; an absent bound is open. */
export interface MicrosRange {
  start?: bigint;
  end: bigint;
}

/**
 * A view's partitions that can hold rows in `range` (only the partition of `day` when given): their
 * files, and whether keys repeat.
 */
export async function partitionFiles(
  offlineStorePath: string,
  viewName: string,
  range: MicrosRange,
  day?: string,
): Promise<{ files: string[]; keysRepeat: boolean }> {
  const first = day ?? (range.start === undefined ? undefined : utcDateOf({ micros: range.start }));
  const listed = await viewFiles(offlineStorePath, viewName, first, day ?? utcDateOf({ micros: range.end }));
  // One partition known free of repeated keys holds at most one row per entity already.
  return { files: listed.files, keysRepeat: !(listed.partitions === 1 && listed.uniqueKeys) };
}

/**
 * A slice of a view's entities: those whose join keys hash (DuckDB's `hash`, the same in every
 * process of one build) into buckets [from, to) of `buckets`. Every row of an entity falls in the
 * same slice, so slices can be materialized apart.
 */
export interface EntitySlice {
  buckets: number;
  from: number;
  to: number;
}

/** A column as DuckDB gives it to the codecs: timestamps (and lists of them) as epoch µs. */
export function asMicros(expr: string, type: ValueType): string {
  if (type === 'timestamp') return `epoch_us(${expr})`;
  if (listElementType(type) === 'timestamp') return `list_transform(${expr}, x -> epoch_us(x))`;
  return expr;
}

/**
 * Columns of the query, in order: join keys, event µs, created µs, features. With `keysRepeat`
 * false the files hold one row per entity and the newest-row pass is left out: it would only cost
 * a blocking sort before the first row streams (and the write script keeps the newest row anyway).
 */
export async function newestRowsSql(
  connection: DuckDBConnection,
  files: readonly string[],
  view: FeatureView,
  joinKeys: readonly JoinKey[],
  range: MicrosRange,
  keysRepeat = true,
  slice?: EntitySlice,
): Promise<string> {
  const from = `read_parquet([${files.map(quoteString).join(', ')}], union_by_name = true)`;
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
  const present = new Set(described.getRowObjectsJS().map((r) => String(r.column_name)));
  const column = (name: string, type: ValueType): string =>
    present.has(name)
      ? asMicros(`CAST(${quoteIdentifier(name)} AS ${duckdbTypeOf(type)})`, type)
      : `NULL::${duckdbTypeOf(type === 'timestamp' ? 'int64' : type)}`;
  const ev = quoteIdentifier(EVENT_TIMESTAMP);
  const cr = present.has(CREATED_TIMESTAMP)
    ? `CAST(${quoteIdentifier(CREATED_TIMESTAMP)} AS TIMESTAMPTZ)`
    : 'NULL::TIMESTAMPTZ';
  const keys = joinKeys.map((k) => quoteIdentifier(k.name));
  const where = [`${ev} <= make_timestamp(${range.end})::TIMESTAMPTZ`];
  if (range.start !== undefined) where.push(`${ev} >= make_timestamp(${range.start})::TIMESTAMPTZ`);
  if (slice) {
    const hashed = `hash(${joinKeys.map((k) => column(k.name, k.type)).join(', ')}) % ${slice.buckets}`;
    where.push(`${hashed} >= ${slice.from} AND ${hashed} < ${slice.to}`);
  }
  const select = [
    ...joinKeys.map((k) => column(k.name, k.type)),
    `epoch_us(${ev})`,
    `epoch_us(${cr})`,
    ...view.features.map((f) => column(f.name, f.type)),
  ];
  const rows = `SELECT ${select.join(', ')} FROM ${from} WHERE ${where.join(' AND ')}`;
  if (!keysRepeat) return rows;
  return `${rows}
QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')} ORDER BY ${ev} DESC, ${cr} DESC NULLS LAST) = 1`;
}
