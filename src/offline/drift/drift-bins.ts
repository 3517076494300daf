/**
 * How `trove drift` bins one feature, all in DuckDB so values never pass through JS (int64 beyond
 * 2^53 keeps every digit): numeric and timestamp features get quantile bins from the training
 * values (deciles by default, `quantile_disc`, equal edges merged; bin i holds values in
 * (edge[i-1], edge[i]], the last one everything above the last edge), strings and booleans one bin
 * per training category (the most frequent `MAX_CATEGORIES`, the rest in one "other" bin, which also
 * takes categories training never saw). Nulls are always a bin of their own.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { duckdbTypeOf, listElementType, type ValueType } from '../../definitions/value-type.ts';
import type { BinCounts } from './population-stability.ts';

/** Categories kept as bins of their own; the rest share one. */
export const MAX_CATEGORIES = 20;
const NULL_BIN = -1;
const OTHER_BIN = -2;
const EDGES = '__trove_drift_edges';
const CATEGORIES = '__trove_drift_categories';

/** One bin as reported: what it holds and its counts on both sides. */
export interface DriftBin extends BinCounts {
  label: string;
}

/** How a type is binned, or undefined for types no distribution is compared for (bytes, lists). */
export function binningOf(type: ValueType): 'quantiles' | 'categories' | undefined {
  if (listElementType(type) !== undefined || type === 'bytes') return undefined;
  return type === 'string' || type === 'bool' ? 'categories' : 'quantiles';
}

/**
 * Bins `expected` (SQL of a relation with one column `v` of the feature's values, training side)
 * and `actual` (the same for recent offline data) by bins taken from `expected`.
 */
export async function binFeature(
  connection: DuckDBConnection,
  type: ValueType,
  expected: string,
  actual: string,
  quantileBins: number,
): Promise<DriftBin[]> {
  const how = binningOf(type);
  if (how === undefined) throw new Error(`no binning for ${type}`);
  const sqlType = duckdbTypeOf(type);
  let binOf: string;
  let from: string;
  const labels = new Map<number, string>([[NULL_BIN, 'null']]);
  if (how === 'quantiles') {
    const fractions = Array.from({ length: quantileBins - 1 }, (_, i) => (i + 1) / quantileBins);
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${EDGES} AS
       SELECT coalesce(list_sort(list_distinct(quantile_disc(v, [${fractions.join(', ')}]))), []::${sqlType}[]) AS e
       FROM ${expected}`,
    );
    const edges = (
      await connection.runAndReadAll(
        `SELECT CAST(x AS VARCHAR) AS x FROM (SELECT unnest(e) AS x, generate_subscripts(e, 1) AS i FROM ${EDGES}) ORDER BY i`,
      )
    )
      .getRowObjectsJS()
      .map((r) => String(r.x));
    if (edges.length === 0) labels.set(0, 'all values');
    for (const [i, edge] of edges.entries())
      labels.set(i, i === 0 ? `≤ ${edge}` : `(${edges[i - 1]}, ${edge}]`);
    if (edges.length > 0) labels.set(edges.length, `> ${edges[edges.length - 1]}`);
    binOf = `CASE WHEN d.v IS NULL THEN ${NULL_BIN} ELSE len(list_filter(${EDGES}.e, lambda x: x < d.v)) END`;
    from = `CROSS JOIN ${EDGES}`;
  } else {
    await connection.run(
      `CREATE OR REPLACE TEMP TABLE ${CATEGORIES} AS
       SELECT v, (row_number() OVER (ORDER BY n DESC, v) - 1)::INTEGER AS bin
       FROM (SELECT v, count(*) AS n FROM ${expected} WHERE v IS NOT NULL GROUP BY v)
       QUALIFY bin < ${MAX_CATEGORIES}`,
    );
    const categories = (
      await connection.runAndReadAll(`SELECT CAST(v AS VARCHAR) AS v, bin FROM ${CATEGORIES} ORDER BY bin`)
    ).getRowObjectsJS();
    for (const c of categories) labels.set(Number(c.bin), String(c.v));
    labels.set(OTHER_BIN, 'other');
    binOf = `CASE WHEN d.v IS NULL THEN ${NULL_BIN} ELSE coalesce(c.bin, ${OTHER_BIN}) END`;
    from = `LEFT JOIN ${CATEGORIES} c ON c.v = d.v`;
  }
  const reader = await connection.runAndReadAll(
    `SELECT side, bin, count(*)::DOUBLE AS n FROM (
       SELECT 0 AS side, ${binOf} AS bin FROM ${expected} d ${from}
       UNION ALL
       SELECT 1 AS side, ${binOf} AS bin FROM ${actual} d ${from}
     ) GROUP BY ALL`,
  );
  const bins = new Map<number, DriftBin>();
  for (const [bin, label] of labels) bins.set(bin, { label, expected: 0, actual: 0 });
  for (const row of reader.getRowObjectsJS()) {
    const bin = bins.get(Number(row.bin));
    if (!bin) continue;
    if (Number(row.side) === 0) bin.expected = Number(row.n);
    else bin.actual = Number(row.n);
  }
  // Reported in value order: nulls first, then the bins, then everything else.
  return [...bins.entries()]
    .sort(([a], [b]) => (a === OTHER_BIN ? 1 : b === OTHER_BIN ? -1 : a - b))
    .map(([, bin]) => bin);
}
