/**
 * The bucket of an entity for a distributed training dataset: DuckDB's `hash` of its join keys,
 * each cast to the key's declared type, modulo the shard count. The entity table is split by it and
 * each shard's workers read only the feature rows of the same bucket, so the same expression must
 * be built on both sides (DuckDB's `hash` is the same in every process of one build).
 */
import { quoteIdentifier } from '../../duckdb/sql-literals.ts';

/** A join key as the split sees it: its name and its declared DuckDB type. */
export interface ShardKey {
  name: string;
  sqlType: string;
}

/** What one shard of a distributed training dataset is: the entities of `bucket` of `buckets`. */
export interface HistoricalShard {
  /** Join keys the entity table was split by, in hashing order. */
  keys: readonly ShardKey[];
  buckets: number;
  bucket: number;
  /**
   * The entity file holds the whole table (its own columns, `ENTITY_ROW` and every key group's
   * bucket): the shard's rows are those whose `bucketColumn` is `bucket`, read as `columns`.
   */
  bucketColumn: string;
  columns: readonly string[];
  /**
   * The whole entity table passed the single-process checks before the job was planned: the
   * shard's rows are not checked again (each check is a scan of the entity file).
   */
  checked: boolean;
  /**
   * Whether the shard's rows carry the entity table's own columns (the merge takes them from one
   * group's parts) and `ENTITY_ROW` (not when the shard writes the output itself), besides the
   * features.
   */
  withColumns: boolean;
  withRow: boolean;
}

/** The entity file's column holding a row's bucket by key group `group`'s keys. */
export function bucketColumn(group: number): string {
  return `__trove_bucket${group}`;
}

/** SQL of the bucket (0 to buckets − 1) of a row whose key columns are named as the keys are. */
export function bucketSql(keys: readonly ShardKey[], buckets: number, column = quoteIdentifier): string {
  const hashed = keys.map((k) => `CAST(${column(k.name)} AS ${k.sqlType})`).join(', ');
  return `(hash(${hashed}) % ${buckets})`;
}

/** Whether a view keyed by `viewKeys` can be read for one bucket only: its keys are the split's. */
export function sameKeySet(viewKeys: readonly string[], keys: readonly ShardKey[]): boolean {
  return viewKeys.length === keys.length && keys.every((k) => viewKeys.includes(k.name));
}
