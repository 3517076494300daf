/**
 * The query feeding an aggregation view's materialization: the view's offline events with event
 * time in [from, to), ordered by entity, then layer (materialized events first, then each push),
 * then the SPEC §7 event order, so each entity's state is folded in one pass and in the same order
 * on every run. Timestamps come as epoch microseconds.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { JoinKey } from '../../definitions/entity.ts';
import { duckdbTypeOf } from '../../definitions/value-type.ts';
import { quoteIdentifier, quoteString } from '../../duckdb/sql-literals.ts';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP, PUSH_ID } from '../../offline/offline-layout.ts';
import type { AggregationCodec } from '../../online/aggregation/aggregation-codec.ts';
import { asMicros } from '../offline-rows.ts';

/**
 * Columns, in order: join keys, event µs, created µs, push id, then the view's aggregated columns.
 * `from` and `to` are epoch microseconds.
 */
export async function aggregationEventsSql(
  connection: DuckDBConnection,
  files: readonly string[],
  codec: AggregationCodec,
  from: bigint,
  to: bigint,
): Promise<string> {
  const source = `read_parquet([${files.map(quoteString).join(', ')}], union_by_name = true)`;
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
  const present = new Set(described.getRowObjectsJS().map((r) => String(r.column_name)));
  const keys = codec.joinKeys.map(
    (k: JoinKey) => `CAST(${quoteIdentifier(k.name)} AS ${duckdbTypeOf(k.type)})`,
  );
  const ev = quoteIdentifier(EVENT_TIMESTAMP);
  const created = present.has(CREATED_TIMESTAMP)
    ? `epoch_us(${quoteIdentifier(CREATED_TIMESTAMP)})`
    : 'NULL::BIGINT';
  const pushId = present.has(PUSH_ID) ? `CAST(${quoteIdentifier(PUSH_ID)} AS VARCHAR)` : 'NULL::VARCHAR';
  const columns = codec.view.columns.map((c) =>
    present.has(c.name)
      ? asMicros(`CAST(${quoteIdentifier(c.name)} AS ${duckdbTypeOf(c.type)})`, c.type)
      : 'NULL',
  );
  const select = [...keys, `epoch_us(${ev})`, created, pushId, ...columns];
  const notNullKeys = codec.joinKeys.map((k) => `${quoteIdentifier(k.name)} IS NOT NULL`);
  const where = [...notNullKeys, `epoch_us(${ev}) >= ${from}`, `epoch_us(${ev}) < ${to}`].join(' AND ');
  const order = select.map((_, i) => `${i + 1}${i === codec.joinKeys.length + 2 ? ' NULLS FIRST' : ''}`);
  return `SELECT ${select.join(', ')} FROM ${source} WHERE ${where} ORDER BY ${order.join(', ')}`;
}
