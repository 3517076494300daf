/**
 * Writes record batches as Parquet or CSV through DuckDB: appended to a table of a DuckDB of its
 * own (which spills to disk past the memory limit) and copied to the file. Training datasets with
 * on-demand features take this way, their rows having been through JS.
 */
import {
  blobValue,
  type DuckDBAppender,
  type DuckDBValue,
  listValue,
  timestampTZValue,
} from '@duckdb/node-api';
import { type DataType, type RecordBatch, type Schema, Type } from 'apache-arrow';
import { quoteIdentifier, quoteString } from '../../duckdb/sql-literals.ts';
import { type OfflineConfig, openOfflineDuckDb } from '../offline-duckdb.ts';

/** The DuckDB column type of an Arrow type, as training datasets write it. */
function sqlTypeOf(type: DataType): string {
  switch (type.typeId) {
    case Type.Int:
      return (type as unknown as { bitWidth: number }).bitWidth === 64 ? 'BIGINT' : 'INTEGER';
    case Type.Float:
      return (type as unknown as { precision: number }).precision === 1 ? 'FLOAT' : 'DOUBLE';
    case Type.Utf8:
      return 'VARCHAR';
    case Type.Bool:
      return 'BOOLEAN';
    case Type.Binary:
      return 'BLOB';
    case Type.Timestamp:
      return 'TIMESTAMPTZ';
    case Type.Date:
      return 'DATE';
    case Type.List:
      return `${sqlTypeOf((type as unknown as { children: { type: DataType }[] }).children[0]!.type)}[]`;
    default:
      return 'VARCHAR';
  }
}

/** An Arrow value (as `Vector.get` gives it) as a DuckDB value of the column's type. */
function duckValueOf(type: DataType, value: unknown): DuckDBValue {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case Type.Timestamp:
      return timestampTZValue(BigInt(Math.round(Number(value) * 1000)));
    case Type.Binary:
      return blobValue(value as Uint8Array);
    case Type.List: {
      const item = (type as unknown as { children: { type: DataType }[] }).children[0]!.type;
      return listValue([...(value as Iterable<unknown>)].map((v) => duckValueOf(item, v)));
    }
    default:
      return value as DuckDBValue;
  }
}

function appendBatch(appender: DuckDBAppender, batch: RecordBatch): void {
  const fields = batch.schema.fields;
  const children = fields.map((_, i) => batch.getChildAt(i)!);
  for (let r = 0; r < batch.numRows; r++) {
    for (let c = 0; c < fields.length; c++) {
      const value = duckValueOf(fields[c]!.type, children[c]!.get(r));
      if (value === null) appender.appendNull();
      else appender.appendValue(value, appender.columnType(c));
    }
    appender.endRow();
  }
}

/** Writes the batches to `file` as Parquet or CSV; resolves to the rows written. */
export async function writeBatchesFile(
  config: OfflineConfig,
  schema: Schema,
  batches: AsyncIterable<RecordBatch>,
  file: string,
  format: 'parquet' | 'csv',
): Promise<number> {
  const db = await openOfflineDuckDb(config, [file]);
  try {
    const columns = schema.fields.map((f) => `${quoteIdentifier(f.name)} ${sqlTypeOf(f.type)}`);
    await db.connection.run(`CREATE TABLE dataset (${columns.join(', ')})`);
    const appender = await db.connection.createAppender('dataset');
    let rows = 0;
    for await (const batch of batches) {
      appendBatch(appender, batch);
      rows += batch.numRows;
    }
    appender.closeSync();
    const options = format === 'parquet' ? 'FORMAT parquet, COMPRESSION zstd' : 'FORMAT csv, HEADER true';
    await db.connection.run(`COPY dataset TO ${quoteString(file)} (${options})`);
    return rows;
  } finally {
    db.close();
  }
}
