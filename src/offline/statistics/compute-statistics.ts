/**
 * Computes the stored statistics (feature-statistics.ts) of groups of rows with DuckDB, with as few
 * hash aggregates per value as each kind of column allows, since they, not the scan, are the cost:
 * - a number: one aggregate by (group, sign, log-scale step) holds its histogram with each bin's
 *   count, sum and sum of squares (mean and variance follow from the bins, with no division per
 *   value), each bin's min and max, and the nulls (the group whose sign is null); and one by
 *   (group, HyperLogLog register) the smallest hash per register;
 * - text and booleans: one aggregate by (group, value) holds the counts and the top values, and
 *   the sketch follows from its distinct values alone;
 * - timestamps and other types: counts and range, and the sketch.
 * Each statement is a UNION ALL of one query per column, which DuckDB runs side by side, and folds
 * each column's groups into lists, so only a row per group and column reaches JS and memory does
 * not grow with the rows.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { quoteIdentifier } from '../../duckdb/sql-literals.ts';
import {
  type GroupStatistics,
  type StatisticsColumn,
  type StatisticsKind,
  type StoredFeatureStatistics,
  statisticsKindOf,
  TOP_VALUES_KEPT,
} from './feature-statistics.ts';
import { addEntries, emptyHll, encodeHll, type HllSketch, hllEntriesSql } from './hyperloglog.ts';
import { binOfPartsSql, binPartsSql } from './log-histogram.ts';

/** Rows to describe: a relation, and the SQL of the group each row belongs to (a partition's date). */
export interface StatisticsInput {
  relation: string;
  /** SQL of the group, read as text; one group ('') when absent. */
  group?: string;
  columns: readonly StatisticsColumn[];
  /**
   * Names of numeric columns with few distinct values per group (fewValueColumns): described from
   * their distinct values, which costs less. The statistics are the same either way.
   */
  fewValues?: ReadonlySet<string>;
}

interface Column extends StatisticsColumn {
  index: number;
  sql: string;
  kind: StatisticsKind;
}

/** A bin of a number's histogram as the statement returns it. */
interface BinRow {
  bin: number;
  n: bigint | number;
  s: number;
  s2: number;
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

/**
 * Per group of a number's values: rows, non-null values, range, and the count, sum and sum of
 * squares of each bin of finite values, from `rows` with the group `g`, the value `v` and it as a
 * DOUBLE `d`: a row per value, or with `counted`, a row per distinct value with `n`, the rows
 * holding it.
 */
function binnedSql(rows: string, counted: boolean): string {
  const { negative, step } = binPartsSql('d');
  const sums = counted
    ? 'sum(n) AS n, sum(n * d) AS s, sum(n * d * d) AS s2'
    : 'count(*) AS n, sum(d) AS s, sum(d * d) AS s2';
  return `SELECT g, sum(n) AS total, sum(n) FILTER (WHERE negative IS NOT NULL) AS present,
      min(low)::VARCHAR AS low, max(high)::VARCHAR AS high,
      list({'bin': ${binOfPartsSql('negative', 'step')}, 'n': n, 's': s, 's2': s2}) FILTER (WHERE isfinite(step)) AS bins
    FROM (
      SELECT g, negative, step, ${sums}, min(v) AS low, max(v) AS high
      FROM (SELECT *, ${negative} AS negative, ${step} AS step FROM ${rows})
      GROUP BY g, negative, step)
    GROUP BY g`;
}

/**
 * Per group of a number's values, its statistics (see `binnedSql`) and, for a column with few
 * distinct values, its sketch. Such a column is grouped by value first, and its bins and sketch
 * are taken from the distinct values; any other is binned value by value, its sketch left to
 * `registersSql`.
 */
function numericSql(c: Column, g: string, relation: string, fewValues: boolean): string {
  if (!fewValues)
    return `SELECT ${c.index} AS i, b.*, NULL::INTEGER[] AS entries FROM (${binnedSql(
      `(SELECT ${g} AS g, ${c.sql} AS v, ${c.sql}::DOUBLE AS d FROM ${relation})`,
      false,
    )}) b`;
  return `WITH vals AS MATERIALIZED (SELECT ${g} AS g, ${c.sql} AS v, count(*) AS n FROM ${relation} GROUP BY ALL)
    SELECT ${c.index} AS i, b.*, h.entries FROM (${binnedSql('(SELECT *, v::DOUBLE AS d FROM vals)', true)}) b
    LEFT JOIN (${hllEntriesSql('(SELECT g, hash(v) AS h FROM vals WHERE v IS NOT NULL)')}) h ON b.g = h.g`;
}

/** Per group, the sketch of a column's values, one by one. */
function registersSql(c: Column, g: string, relation: string): string {
  return `SELECT ${c.index} AS i, g, entries FROM (${hllEntriesSql(
    `(SELECT ${g} AS g, hash(${c.sql}) AS h FROM ${relation} WHERE ${c.sql} IS NOT NULL)`,
  )})`;
}

/**
 * Per group of a text or boolean feature's values: rows, non-null values, how many distinct, the
 * most frequent (ties by value), and the sketch of the distinct values.
 */
function categoricalSql(c: Column, g: string, relation: string): string {
  const top = `{'v': v::VARCHAR, 'n': n}`;
  return `WITH vals AS MATERIALIZED (SELECT ${g} AS g, ${c.sql} AS v, count(*) AS n FROM ${relation} GROUP BY ALL)
    SELECT ${c.index} AS i, t.g, t.total, t.present, t.values_, t.top, h.entries FROM (
      SELECT g, sum(n) AS total, sum(n) FILTER (WHERE v IS NOT NULL) AS present, count(v) AS values_,
        (list(${top} ORDER BY n DESC, v::VARCHAR) FILTER (WHERE v IS NOT NULL))[1:${TOP_VALUES_KEPT}] AS top
      FROM vals GROUP BY g) t
    LEFT JOIN (${hllEntriesSql('(SELECT g, hash(v) AS h FROM vals WHERE v IS NOT NULL)')}) h ON t.g = h.g`;
}

/** Per group: rows, and the count and range of timestamps and of types with no more statistics. */
function countsSql(columns: readonly Column[], g: string, relation: string): string {
  const counted = columns.flatMap((c) =>
    c.kind === 'timestamp'
      ? [`count(${c.sql})`, `epoch_us(min(${c.sql}))::VARCHAR`, `epoch_us(max(${c.sql}))::VARCHAR`]
      : [`count(${c.sql})`],
  );
  return `SELECT ${g} AS g, count(*)${counted.map((s) => `, ${s}`).join('')} FROM ${relation} GROUP BY ALL`;
}

/** Statistics of each group of `input`, keyed by group. */
export async function computeStatistics(
  connection: DuckDBConnection,
  input: StatisticsInput,
): Promise<Map<string, GroupStatistics>> {
  const g = `(${input.group ?? `''`})::VARCHAR`;
  const relation = input.relation;
  const columns: Column[] = input.columns.map((column, index) => ({
    ...column,
    index,
    sql: quoteIdentifier(column.name),
    kind: statisticsKindOf(column.type),
  }));
  const out = new Map<string, GroupStatistics>();
  const sketches = new Map<StoredFeatureStatistics, HllSketch>();
  const groupOf = (group: unknown, total: unknown): GroupStatistics => {
    const key = String(group);
    let stats = out.get(key);
    if (!stats) {
      stats = { rows: asNumber(total), features: {} };
      for (const c of columns) stats.features[c.name] = emptyFeature(c);
      out.set(key, stats);
    }
    return stats;
  };
  const featureOf = (index: unknown, group: unknown, total: unknown): StoredFeatureStatistics => {
    const c = columns[asNumber(index)];
    const f = c && groupOf(group, total).features[c.name];
    if (!f) throw new Error(`statistics: no column ${String(index)}`);
    return f;
  };
  const sketchOf = (f: StoredFeatureStatistics): HllSketch => {
    const sketch = sketches.get(f) ?? emptyHll();
    sketches.set(f, sketch);
    return sketch;
  };
  const numeric = columns.filter((c) => c.kind === 'numeric');
  const categorical = columns.filter((c) => c.kind === 'categorical');
  const counted = columns.filter((c) => c.kind === 'timestamp' || c.kind === 'other');

  const few = (c: Column) => input.fewValues?.has(c.name) ?? false;
  const numbers = unionOf(numeric.map((c) => numericSql(c, g, relation, few(c))));
  if (numbers) {
    for (const [i, group, total, present, low, high, bins, entries] of await rows(connection, numbers)) {
      const f = featureOf(i, group, total);
      f.count = asNumber(present);
      f.min = (low as string | null) ?? null;
      f.max = (high as string | null) ?? null;
      // Moments of the finite values, merged over bins (Chan et al.), never over the raw sums.
      let moments: { n: number; mean: number; m2: number } | undefined;
      const histogram: Record<string, number> = {};
      for (const b of (bins as BinRow[] | null) ?? []) {
        const count = asNumber(b.n);
        histogram[String(b.bin)] = (histogram[String(b.bin)] ?? 0) + count;
        // Sums of squares lose nothing worth noting here: a bin's values are within 4.4% of each
        // other, so its variance is not the small difference of two large sums it can be overall.
        const mean = b.s / count;
        const m2 = Math.max(0, b.s2 - b.s * mean);
        if (!moments) {
          moments = { n: count, mean, m2 };
          continue;
        }
        const n = moments.n + count;
        const delta = mean - moments.mean;
        moments = {
          n,
          mean: moments.mean + (delta * count) / n,
          m2: moments.m2 + m2 + (delta * delta * moments.n * count) / n,
        };
      }
      f.histogram = histogram;
      if (entries) addEntries(sketchOf(f), entries as number[]);
      if (moments) {
        f.mean = Number.isFinite(moments.mean) ? moments.mean : null;
        f.m2 = Number.isFinite(moments.m2) ? moments.m2 : null;
      }
    }
  }

  const texts = unionOf(categorical.map((c) => categoricalSql(c, g, relation)));
  if (texts) {
    for (const [i, group, total, present, values, top, entries] of await rows(connection, texts)) {
      const f = featureOf(i, group, total);
      f.count = asNumber(present);
      f.top = ((top as { v: string; n: bigint | number }[] | null) ?? []).map((t) => [t.v, asNumber(t.n)]);
      f.topComplete = asNumber(values) <= TOP_VALUES_KEPT;
      addEntries(sketchOf(f), (entries as number[] | null) ?? []);
    }
  }

  // Row counts come with every number and text; counted here too when no column gave them.
  if (counted.length > 0 || (numbers === undefined && texts === undefined)) {
    for (const row of await rows(connection, countsSql(counted, g, relation))) {
      const stats = groupOf(row[0], row[1]);
      let i = 2;
      for (const c of counted) {
        const f = stats.features[c.name]!;
        f.count = asNumber(row[i++]);
        if (c.kind === 'timestamp') {
          f.min = (row[i++] as string | null) ?? null;
          f.max = (row[i++] as string | null) ?? null;
        }
      }
    }
  }

  const registers = unionOf(
    [...numeric.filter((c) => !few(c)), ...counted].map((c) => registersSql(c, g, relation)),
  );
  if (registers) {
    for (const [i, group, entries] of await rows(connection, registers)) {
      const c = columns[asNumber(i)];
      const f = c && out.get(String(group))?.features[c.name];
      if (f) addEntries(sketchOf(f), (entries as number[] | null) ?? []);
    }
  }

  for (const stats of out.values()) {
    for (const c of columns) {
      const f = stats.features[c.name]!;
      f.distinct = encodeHll(sketches.get(f) ?? emptyHll());
      f.top?.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    }
  }
  return out;
}
