/**
 * Computes the stored statistics (feature-statistics.ts) of groups of rows with DuckDB, in four
 * statements: row and non-null counts and ranges; per numeric feature and histogram bin of the
 * finite values, the count, sum and sum of squares (mean and variance follow from the bins, with
 * no division per value); per feature and HyperLogLog register, the smallest hash; and the top
 * values of text and booleans. Each statement is a UNION ALL of one narrow query per feature, which
 * DuckDB runs side by side. Only aggregates reach JS, so memory does not grow with the rows.
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

async function rows(connection: DuckDBConnection, sql: string): Promise<unknown[][]> {
  return (await connection.runAndReadAll(sql)).getRowsJS() as unknown[][];
}

/** One query per column, as one statement; none when no column needs one. */
function unionOf(parts: readonly string[]): string | undefined {
  return parts.length === 0 ? undefined : parts.map((p) => `(${p})`).join(' UNION ALL ');
}

function emptyFeature(column: StatisticsColumn): StoredFeatureStatistics {
  const kind = statisticsKindOf(column.type);
  const f: StoredFeatureStatistics = { type: column.type, count: 0, distinct: '' };
  if (kind === 'numeric' || kind === 'timestamp') {
    f.min = null;
    f.max = null;
  }
  if (kind === 'numeric') {
    f.mean = null;
    f.m2 = null;
    f.histogram = {};
  }
  if (kind === 'categorical') {
    f.top = [];
    f.topComplete = true;
  }
  return f;
}

/** Statistics of each group of `input`, keyed by group. */
export async function computeStatistics(
  connection: DuckDBConnection,
  input: StatisticsInput,
): Promise<Map<string, GroupStatistics>> {
  const g = `(${input.group ?? `''`})::VARCHAR`;
  const columns = input.columns.map((column, index) => ({
    ...column,
    index,
    sql: quoteIdentifier(column.name),
    kind: statisticsKindOf(column.type),
  }));
  const out = new Map<string, GroupStatistics>();

  // Row counts, and what numbers get from their bins: the non-null count of other types and the
  // range of timestamps.
  const counted = columns.flatMap((c) =>
    c.kind === 'numeric'
      ? [`count(${c.sql})`, `min(${c.sql})::VARCHAR`, `max(${c.sql})::VARCHAR`]
      : c.kind === 'timestamp'
        ? [`count(${c.sql})`, `epoch_us(min(${c.sql}))::VARCHAR`, `epoch_us(max(${c.sql}))::VARCHAR`]
        : [`count(${c.sql})`],
  );
  for (const row of await rows(
    connection,
    `SELECT ${g} AS g, count(*)${counted.map((s) => `, ${s}`).join('')} FROM ${input.relation} GROUP BY ALL`,
  )) {
    const features: Record<string, StoredFeatureStatistics> = {};
    let i = 2;
    for (const c of columns) {
      const f = emptyFeature(c);
      f.count = asNumber(row[i++]);
      if (c.kind === 'numeric' || c.kind === 'timestamp') {
        f.min = (row[i++] as string | null) ?? null;
        f.max = (row[i++] as string | null) ?? null;
      }
      features[c.name] = f;
    }
    out.set(String(row[0]), { rows: asNumber(row[1]), features });
  }
  const featureOf = (group: unknown, index: unknown) => {
    const c = columns[asNumber(index)];
    return c ? out.get(String(group))?.features[c.name] : undefined;
  };
  const present = (c: { sql: string }) => `FROM ${input.relation} WHERE ${c.sql} IS NOT NULL`;

  const binned = unionOf(
    columns
      .filter((c) => c.kind === 'numeric')
      .map(
        (c) =>
          `SELECT ${c.index} AS i, ${g} AS g, ${binSql(c.sql)} AS bin, count(*) AS n,
             sum(${c.sql}::DOUBLE) AS s, sum(${c.sql}::DOUBLE * ${c.sql}::DOUBLE) AS s2
           FROM ${input.relation} WHERE ${c.type === 'float32' || c.type === 'float64' ? `isfinite(${c.sql})` : `${c.sql} IS NOT NULL`}
           GROUP BY ALL`,
      ),
  );
  if (binned) {
    // Moments of the finite values, merged over bins (Chan et al.), never over the raw sums.
    const moments = new Map<StoredFeatureStatistics, { n: number; mean: number; m2: number }>();
    for (const [i, group, bin, n, sum, squares] of await rows(connection, binned)) {
      const f = featureOf(group, i);
      if (!f?.histogram) continue;
      const count = asNumber(n);
      f.histogram[String(bin)] = count;
      // Sums of squares lose nothing worth noting here: a bin's values are within 4.4% of each
      // other, so its variance is not the small difference of two large sums it can be overall.
      const mean = asNumber(sum) / count;
      const m2 = Math.max(0, asNumber(squares) - asNumber(sum) * mean);
      const before = moments.get(f);
      if (!before) {
        moments.set(f, { n: count, mean, m2 });
        continue;
      }
      const total = before.n + count;
      const delta = mean - before.mean;
      moments.set(f, {
        n: total,
        mean: before.mean + (delta * count) / total,
        m2: before.m2 + m2 + (delta * delta * before.n * count) / total,
      });
    }
    for (const [f, m] of moments) {
      f.mean = Number.isFinite(m.mean) ? m.mean : null;
      f.m2 = Number.isFinite(m.m2) ? m.m2 : null;
    }
  }

  const tops = unionOf(
    columns
      .filter((c) => c.kind === 'categorical')
      .map(
        (c) =>
          `SELECT ${c.index} AS i, g, v, n, count(*) OVER (PARTITION BY g) AS nv FROM (
             SELECT ${g} AS g, ${c.sql}::VARCHAR AS v, count(*) AS n ${present(c)} GROUP BY ALL)
           QUALIFY row_number() OVER (PARTITION BY g ORDER BY n DESC, v) <= ${TOP_VALUES_KEPT}`,
      ),
  );
  if (tops) {
    for (const [i, group, value, n, values] of await rows(connection, tops)) {
      const f = featureOf(group, i);
      if (!f?.top) continue;
      f.top.push([String(value), asNumber(n)]);
      f.topComplete = asNumber(values) <= TOP_VALUES_KEPT;
    }
  }

  const sketches = new Map<string, HllSketch>();
  const registers = unionOf(
    columns.map((c) => {
      const hll = hllSql(c.sql);
      return `SELECT ${c.index} AS i, ${g} AS g, ${hll.register} AS r, ${hll.smallestRest} AS rest ${present(c)} GROUP BY ALL`;
    }),
  );
  if (registers) {
    for (const [i, group, register, rest] of await rows(connection, registers)) {
      const key = `${String(i)}\0${String(group)}`;
      const sketch = sketches.get(key) ?? emptyHll();
      sketches.set(key, sketch);
      addSmallestRest(sketch, asNumber(register), BigInt(String(rest)));
    }
  }
  for (const [group, stats] of out) {
    for (const c of columns) {
      const f = stats.features[c.name];
      if (f) f.distinct = encodeHll(sketches.get(`${c.index}\0${group}`) ?? emptyHll());
      f?.top?.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    }
  }
  return out;
}
