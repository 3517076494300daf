/**
 * Splits a training dataset's entity table by entity hash. The requested views are grouped by key
 * set (`driver`; `customer`; `driver, customer`), and each group splits the entity rows by the
 * hash of its own keys: a shard is one group's features for one bucket of entity rows, and joins
 * only the feature rows of that bucket, so across all shards every feature row is read and joined
 * once, as in a single process. The merge puts a row's groups back together by its row number.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbTypeOf } from '../../definitions/value-type.ts';
import { quoteString } from '../../duckdb/sql-literals.ts';
import type { Registry } from '../../registry/registry.ts';
import { type OutputFeature, outputFeatures, type ViewSelection } from '../../registry/resolve-features.ts';
import { ENTITY_TABLE } from '../entity-input.ts';
import { bucketSql, type ShardKey } from './entity-hash.ts';
import { entityShardFile } from './historical-job.ts';

/** Views sharing one key set, with the features requested of them. */
export interface KeyGroup {
  keys: ShardKey[];
  /** Feature references (`view:feature`), in request order. */
  features: string[];
  /** Their output column names, in the same order. */
  outputs: string[];
}

/** The requested features grouped by their views' key sets, groups in order of first request. */
export function keyGroups(
  registry: Registry,
  selections: readonly ViewSelection[],
  fullFeatureNames: boolean,
): KeyGroup[] {
  const groups = new Map<string, KeyGroup>();
  for (const o of outputFeatures(selections, fullFeatureNames) as OutputFeature[]) {
    const keys = registry.joinKeysOf(o.view).map((k) => ({ name: k.name, sqlType: duckdbTypeOf(k.type) }));
    const id = keys
      .map((k) => k.name)
      .sort()
      .join('\0');
    const group = groups.get(id) ?? { keys, features: [], outputs: [] };
    groups.set(id, group);
    group.features.push(`${o.view.name}:${o.feature.name}`);
    group.outputs.push(o.outputName);
  }
  return [...groups.values()];
}

/**
 * Writes the entity rows of each group's buckets, with their row numbers in the whole table, to the
 * job's folder from `ENTITY_TABLE` on `connection` (checked and loaded by the point-in-time query's
 * preparation). Returns the rows of each bucket, per group.
 */
export async function writeEntityShards(
  connection: DuckDBConnection,
  folder: string,
  groups: readonly KeyGroup[],
  buckets: number,
): Promise<number[][]> {
  // One pass computes every row's bucket in every group; each shard's file is a scan of that table.
  const bucketColumns = groups.map((_, g) => `__trove_bucket${g}`);
  await connection.run(
    `CREATE TEMP TABLE __trove_buckets AS SELECT *, ${groups
      .map(
        (group, g) =>
          `${group.keys.length === 0 ? '0' : bucketSql(group.keys, buckets)}::INTEGER AS ${bucketColumns[g]}`,
      )
      .join(', ')} FROM ${ENTITY_TABLE}`,
  );
  const rows: number[][] = [];
  for (let g = 0; g < groups.length; g++) {
    const counts: number[] = [];
    for (let b = 0; b < buckets; b++) {
      const copied = await connection.runAndReadAll(
        `COPY (SELECT * EXCLUDE (${bucketColumns.join(', ')}) FROM __trove_buckets WHERE ${bucketColumns[g]} = ${b}) TO ${quoteString(entityShardFile(folder, g, b))} (FORMAT parquet)`,
      );
      counts.push(Number(copied.getColumns()[0]?.[0] ?? 0));
    }
    rows.push(counts);
  }
  await connection.run('DROP TABLE __trove_buckets');
  return rows;
}
