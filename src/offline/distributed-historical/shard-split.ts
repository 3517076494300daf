/**
 * Splits a training dataset's entity table by entity hash. The requested views are grouped by key
 * set (`driver`; `customer`; `driver, customer`), and each group splits the entity rows by the
 * hash of its own keys: a shard is one group's features for one bucket of entity rows, and joins
 * only the feature rows of that bucket, so across all shards every feature row is read and joined
 * once, as in a single process. The entity table is written once, with every group's bucket beside
 * each row, and each shard reads its rows of it. The merge puts a row's groups back together by
 * its row number.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbTypeOf } from '../../definitions/value-type.ts';
import { quoteString } from '../../duckdb/sql-literals.ts';
import type { Registry } from '../../registry/registry.ts';
import { type OutputFeature, outputFeatures, type ViewSelection } from '../../registry/resolve-features.ts';
import { ENTITY_TABLE } from '../entity-input.ts';
import { bucketColumn, bucketSql, type ShardKey } from './entity-hash.ts';
import { entityFile, TEMPORARY_PARQUET } from './historical-job.ts';

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
 * Writes the entity table, each row with its row number in the whole table and its bucket by each
 * group's keys, to the job's one entity file, from `ENTITY_TABLE` on `connection` (checked and
 * loaded by the point-in-time query's preparation); each shard reads its bucket's rows of it.
 * Returns the rows of each bucket, per group.
 */
export async function writeEntityFile(
  connection: DuckDBConnection,
  folder: string,
  groups: readonly KeyGroup[],
  buckets: number,
): Promise<number[][]> {
  const file = entityFile(folder);
  const columns = groups.map((group, g) =>
    group.keys.length === 0 || buckets === 1
      ? `0::USMALLINT AS ${bucketColumn(g)}`
      : `${bucketSql(group.keys, buckets)}::USMALLINT AS ${bucketColumn(g)}`,
  );
  // Read once by each shard and removed with the job: written fast rather than small.
  await connection.run(
    `COPY (SELECT *, ${columns.join(', ')} FROM ${ENTITY_TABLE}) TO ${quoteString(file)} (${TEMPORARY_PARQUET})`,
  );
  // Every group's counts in one pass over the (narrow) bucket columns.
  const names = groups.map((_, g) => bucketColumn(g));
  const counted = await connection.runAndReadAll(
    `SELECT ${names.map((n) => `GROUPING(${n})::INTEGER, ${n}::INTEGER`).join(', ')}, count(*)::BIGINT
     FROM read_parquet(${quoteString(file)}) GROUP BY GROUPING SETS (${names.map((n) => `(${n})`).join(', ')})`,
  );
  const rows = groups.map(() => new Array<number>(buckets).fill(0));
  for (const row of counted.getRowsJS()) {
    // Each result row is one group's bucket: the one whose GROUPING() is 0.
    const g = names.findIndex((_, i) => row[2 * i] === 0);
    rows[g]![Number(row[2 * g + 1])] = Number(row[2 * names.length]);
  }
  return rows;
}
