/**
 * Computes the stored statistics (feature-statistics.ts) of groups of rows with DuckDB: one scan
 * for the row count, null counts and moments of every feature, then one narrow scan per feature for
 * its histogram, distinct-count sketch or top values. Nothing but the aggregates reaches JS, so
 * memory does not grow with the rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier } from '../../duckdb/sql-literals.ts';
import {
  type GroupStatistics,
  type StatisticsColumn,
  type StoredFeatureStatistics,
  statisticsKindOf,
  TOP_VALUES_KEPT,
} from './feature-statistics.ts';
import { addSmallestRest, emptyHll, encodeHll, type HllSketch, hllSql } from './hyperloglog.ts';
import { binSql } from './log-histogram.ts';

/** Rows to describe: a relation, and the SQL of the group each row belongs to (a partition's date). */
export interface StatisticsInput {
  relation: string;
  /** SQL of the group, read as text; one group ('') when absent. */
  group?: string;
  columns: readonly StatisticsColumn[];
}

const asNumber = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const finiteOrNull = (v: unknown): number | null => {
  const n = v === null || v === undefined ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : null;
};

async function rows(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

/** The moments query's select list of one feature, and how to read its cells. */
function momentsOf(column: StatisticsColumn): string[] {
  const c = quoteIdentifier(column.name);
  const kind = statisticsKindOf(column.type);
  if (kind === 'numeric')
    return [
      `count(${c})`,
      `min(${c})::VARCHAR`,
      `max(${c})::VARCHAR`,
      `avg(${c})::DOUBLE`,
      `(var_pop(${c}) * count(${c}))::DOUBLE`,
    ];
  if (kind === 'timestamp')
    return [`count(${c})`, `epoch_us(min(${c}))::VARCHAR`, `epoch_us(max(${c}))::VARCHAR`];
  return [`count(${c})`];
}

/** Statistics of each group of `input`, keyed by group. */
export async function computeStatistics(
  connection: DuckDBConnection,
  input: StatisticsInput,
): Promise<Map<string, GroupStatistics>> {
  const group = input.group ?? `''`;
  const out = new Map<string, GroupStatistics>();
  const select = input.columns.flatMap(momentsOf);
  const moments = await rows(
    connection,
    `SELECT (${group})::VARCHAR AS g, count(*)${select.map((s) => `, ${s}`).join('')} FROM ${input.relation} GROUP BY ALL`,
  );
  for (const row of moments) {
    const features: Record<string, StoredFeatureStatistics> = {};
    let i = 2;
    for (const column of input.columns) {
      const kind = statisticsKindOf(column.type);
      const f: StoredFeatureStatistics = { type: column.type, count: asNumber(row[i++]), distinct: '' };
      if (kind === 'numeric' || kind === 'timestamp') {
        f.min = (row[i++] as string | null) ?? null;
        f.max = (row[i++] as string | null) ?? null;
      }
      if (kind === 'numeric') {
        f.mean = finiteOrNull(row[i++]);
        f.m2 = finiteOrNull(row[i++]);
        f.histogram = {};
      }
      if (kind === 'categorical') {
        f.top = [];
        f.topComplete = true;
      }
      features[column.name] = f;
    }
    out.set(String(row[0]), { rows: asNumber(row[1]), features });
  }
  const featureOf = (g: unknown, name: string) => out.get(String(g))?.features[name];

  for (const column of input.columns) {
    const c = quoteIdentifier(column.name);
    const kind = statisticsKindOf(column.type);
    const present = `FROM ${input.relation} WHERE ${c} IS NOT NULL`;
    if (kind === 'numeric') {
      const floats = column.type === 'float32' || column.type === 'float64';
      for (const [g, bin, n] of await rows(
        connection,
        `SELECT (${group})::VARCHAR AS g, ${binSql(c, floats)} AS bin, count(*) ${present} GROUP BY ALL`,
      )) {
        const f = featureOf(g, column.name);
        if (f?.histogram) f.histogram[String(bin)] = asNumber(n);
      }
    }
    if (kind === 'categorical') {
      for (const [g, value, n, distinct] of await rows(
        connection,
        `SELECT g, v, n, count(*) OVER (PARTITION BY g) FROM (
           SELECT (${group})::VARCHAR AS g, ${c}::VARCHAR AS v, count(*) AS n ${present} GROUP BY ALL)
         QUALIFY row_number() OVER (PARTITION BY g ORDER BY n DESC, v) <= ${TOP_VALUES_KEPT}`,
      )) {
        const f = featureOf(g, column.name);
        if (!f?.top) continue;
        f.top.push([String(value), asNumber(n)]);
        f.topComplete = asNumber(distinct) <= TOP_VALUES_KEPT;
      }
    }
    const hll = hllSql(c);
    const sketches = new Map<string, HllSketch>();
    for (const [g, register, rest] of await rows(
      connection,
      `SELECT (${group})::VARCHAR AS g, ${hll.register} AS r, ${hll.smallestRest} ${present} GROUP BY ALL`,
    )) {
      const key = String(g);
      const sketch = sketches.get(key) ?? emptyHll();
      sketches.set(key, sketch);
      addSmallestRest(sketch, asNumber(register), BigInt(String(rest)));
    }
    for (const [g, stats] of out) {
      const f = stats.features[column.name];
      if (f) f.distinct = encodeHll(sketches.get(g) ?? emptyHll());
    }
  }
  for (const stats of out.values())
    for (const f of Object.values(stats.features))
      f.top?.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return out;
}
