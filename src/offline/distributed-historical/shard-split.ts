/**
 * Splits a training dataset's entity table into shards by entity hash. The split's keys are those
 * of the most requested batch views sharing one key set (the first such set on a tie): views keyed
 * by them read only their shard's rows, the others read all their rows in every shard. Any split of
 * the entity rows gives the same rows back once merged, since every entity row is joined on its own;
 * the keys only decide how much of the feature rows each shard can skip.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbTypeOf } from '../../definitions/value-type.ts';
import { quoteString } from '../../duckdb/sql-literals.ts';
import type { Registry } from '../../registry/registry.ts';
import type { ViewSelection } from '../../registry/resolve-features.ts';
import { ENTITY_TABLE } from '../entity-input.ts';
import { bucketSql, type ShardKey } from './entity-hash.ts';
import { entityShardFile } from './historical-job.ts';

/** The join keys to split by. */
export function shardKeys(registry: Registry, selections: readonly ViewSelection[]): ShardKey[] {
  const sets = new Map<string, { keys: ShardKey[]; views: number }>();
  for (const { view } of selections) {
    const keys = registry.joinKeysOf(view).map((k) => ({ name: k.name, sqlType: duckdbTypeOf(k.type) }));
    const id = keys
      .map((k) => k.name)
      .sort()
      .join('\0');
    const set = sets.get(id) ?? { keys, views: 0 };
    if (view.kind === 'batch') set.views += 1;
    sets.set(id, set);
  }
  let best: { keys: ShardKey[]; views: number } | undefined;
  for (const set of sets.values()) if (!best || set.views > best.views) best = set;
  return best?.keys ?? [];
}

/**
 * Writes the entity rows of each bucket, with their row numbers in the whole table, to the job's
 * folder from `ENTITY_TABLE` on `connection` (checked and loaded by the point-in-time query's
 * preparation). Returns the rows of each bucket.
 */
export async function writeEntityShards(
  connection: DuckDBConnection,
  folder: string,
  keys: readonly ShardKey[],
  buckets: number,
): Promise<number[]> {
  if (keys.length === 0 || buckets === 1) {
    const copied = await connection.runAndReadAll(
      `COPY (SELECT * FROM ${ENTITY_TABLE}) TO ${quoteString(entityShardFile(folder, 0))} (FORMAT parquet)`,
    );
    return [Number(copied.getColumns()[0]?.[0] ?? 0), ...Array<number>(buckets - 1).fill(0)];
  }
  // One pass computes every row's bucket; each shard's file is then a scan of that table.
  await connection.run(
    `CREATE TEMP TABLE __trove_buckets AS SELECT *, ${bucketSql(keys, buckets)}::INTEGER AS __trove_bucket FROM ${ENTITY_TABLE}`,
  );
  const rows: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const copied = await connection.runAndReadAll(
      `COPY (SELECT * EXCLUDE (__trove_bucket) FROM __trove_buckets WHERE __trove_bucket = ${b}) TO ${quoteString(entityShardFile(folder, b))} (FORMAT parquet)`,
    );
    rows.push(Number(copied.getColumns()[0]?.[0] ?? 0));
  }
  await connection.run('DROP TABLE __trove_buckets');
  return rows;
}
