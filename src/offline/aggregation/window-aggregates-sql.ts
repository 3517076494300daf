import type { AggregationFeatureSpec } from '../../definitions/aggregation/aggregation-view.ts';
import { duckdbTypeOf, type ValueType } from '../../definitions/value-type.ts';
import { quoteIdentifier } from '../../duckdb/sql-literals.ts';

/** A null created time in the event order: below every real one (as in point-in-time-sql.ts). */
const CREATED_NULL = '(-9223372036854775808)::BIGINT';

/** One requested feature of an aggregation view. */
export interface WindowedFeature {
  spec: AggregationFeatureSpec;
  /** The aggregated column's value type; absent for column-less `count`. */
  columnType: ValueType | undefined;
}

/** One requested aggregation view as the training join sees it. */
export interface WindowedView {
  /** Relation of the view's stored events (join keys, `event_timestamp`, `created_timestamp`, columns). */
  relation: string;
  /** Join key names, in the view's entity order. */
  keys: readonly string[];
  features: readonly WindowedFeature[];
}

/** The entity rows as the windows need them. */
export interface WindowedEntities {
  /** Relation of the entity rows; must have `__trove_row` (input order). */
  relation: string;
  /** Entity column holding the row's time as TIMESTAMPTZ (quoted). */
  timestampColumn: string;
  /** Entity column holding each join key, of the key's declared type (quoted). */
  keyColumn: (key: string) => string;
}

/** Name of a feature's column in the relation `windowAggregatesSql` returns. */
export function windowedColumn(index: number): string {
  return `__trove_f${index}`;
}

/**
 * The first instant of a window at `t`, in microseconds: `ceil((t - w) / g) * g` (SPEC §7), in
 * BIGINT arithmetic, exact at every boundary. `%` takes the sign of its left side in DuckDB, so
 * `((x % g) + g) % g` is the floor modulo of `x = w - t`, which `t - w` needs to reach the next
 * multiple of `g`.
 */
export function windowStartSql(tMicros: string, windowMicros: bigint, granularityMicros: bigint): string {
  const w = `${windowMicros}::BIGINT`;
  const g = `${granularityMicros}::BIGINT`;
  return `(${tMicros} - ${w} + (((${w} - ${tMicros}) % ${g}) + ${g}) % ${g})`;
}

/**
 * The events of an aggregation view as `windowAggregatesSql` reads them, from `stored` (the view's
 * rows in the offline store's layout): join keys, event and created time as microseconds (a null
 * created time lowest), and the aggregated columns, limited to event times in `[from, to]` (µs),
 * the span any requested window can reach.
 */
export function windowEventsRelation(
  stored: string,
  keys: readonly string[],
  columns: readonly string[],
  from: bigint,
  to: bigint,
): string {
  const select = [
    ...keys.map(quoteIdentifier),
    'epoch_us("event_timestamp") AS __trove_ets',
    `coalesce(epoch_us("created_timestamp"), ${CREATED_NULL}) AS __trove_cts`,
    ...columns.map(quoteIdentifier),
  ];
  return `(SELECT ${select.join(', ')} FROM ${stored}
    WHERE "event_timestamp" BETWEEN make_timestamptz(${from}::BIGINT) AND make_timestamptz(${to}::BIGINT))`;
}

/** The aggregate of one feature over the events `inWindow` admits. */
function aggregateSql(feature: WindowedFeature, inWindow: string): string {
  const { spec, columnType } = feature;
  const value = spec.column === undefined ? '' : `x.${quoteIdentifier(spec.column)}`;
  const where = `FILTER (WHERE ${inWindow})`;
  const present = `FILTER (WHERE ${inWindow} AND ${value} IS NOT NULL)`;
  // Events in (event time, created time, value) order: first is the least, last the greatest.
  const order = `{'t': x.__trove_ets, 'c': x.__trove_cts, 'v': ${value}}`;
  switch (spec.function) {
    case 'count':
      return spec.column === undefined ? `count(x.__trove_ets) ${where}` : `count(${value}) ${where}`;
    case 'sum':
      // DuckDB sums integers as HUGEINT: the int64 of SPEC §7 is the cast back (an overflow fails).
      return columnType === 'int32' || columnType === 'int64'
        ? `coalesce(sum(${value}) ${where}, 0)::BIGINT`
        : `coalesce(sum(${value}::DOUBLE) ${where}, 0)::DOUBLE`;
    case 'mean':
      return `(avg(${value}) ${where})::DOUBLE`;
    case 'stddev_samp':
    case 'stddev_pop':
    case 'var_samp':
    case 'var_pop':
      return `(${spec.function}(${value}::DOUBLE) ${where})::DOUBLE`;
    case 'min':
    case 'max':
      return `${spec.function}(${value}) ${where}`;
    case 'first':
      return `arg_min(${value}, ${order}) ${present}`;
    case 'last':
      return `arg_max(${value}, ${order}) ${present}`;
    case 'last_n':
      return `coalesce(max_by(${value}, ${order}, ${spec.n}) ${present}, []::${duckdbTypeOf(columnType!)}[])`;
  }
}

/**
 * The windowed features of one aggregation view for every entity row (SPEC §7), as a relation of
 * `__trove_row` and one column per requested feature (`windowedColumn(i)`):
 *
 * - Each entity row gets, per distinct (window, granularity), the start of its window at its own
 *   time `t`; the events joined to it are those with equal keys and `least(starts) <= event <= t`,
 *   and each feature's aggregate takes those at or after its own start (`FILTER`).
 * - `LEFT JOIN` keeps entity rows without events (null keys never match): counts and sums are then
 *   0, `last_n` an empty list, the rest null. Grouping by `__trove_row` gives each input row,
 *   duplicates included, its own result.
 * - first, last and last_n skip nulls and order events by (event time, created time with null
 *   lowest, value), compared as one struct, so ties never depend on file order.
 */
export function windowAggregatesSql(entities: WindowedEntities, view: WindowedView): string {
  const starts = new Map<string, string>();
  const startOf = (spec: AggregationFeatureSpec): string => {
    const key = `${spec.window}/${spec.granularity}`;
    let column = starts.get(key);
    if (column === undefined) {
      column = `__trove_s${starts.size}`;
      starts.set(key, column);
    }
    return column;
  };
  const aggregates = view.features.map(
    (f, i) => `${aggregateSql(f, `x.__trove_ets >= e.${startOf(f.spec)}`)} AS ${windowedColumn(i)}`,
  );
  const t = `epoch_us(${entities.timestampColumn})`;
  const startColumns = [...starts].map(([key, column]) => {
    const [window, granularity] = key.split('/').map((s) => BigInt(s) * 1_000_000n) as [bigint, bigint];
    return `${windowStartSql(t, window, granularity)} AS ${column}`;
  });
  const keyColumns = view.keys.map((k, i) => `${entities.keyColumn(k)} AS __trove_wk${i}`);
  const startRefs = [...starts.values()].map((c) => `e.${c}`);
  const lowest = startRefs.length === 1 ? startRefs[0]! : `least(${startRefs.join(', ')})`;
  const on = [
    ...view.keys.map((k, i) => `e.__trove_wk${i} = x.${quoteIdentifier(k)}`),
    `x.__trove_ets >= ${lowest}`,
    `x.__trove_ets <= e.__trove_t`,
  ];
  return `(SELECT e.__trove_row, ${aggregates.join(', ')}
    FROM (SELECT __trove_row, ${[...keyColumns, `${t} AS __trove_t`, ...startColumns].join(', ')} FROM ${entities.relation}) e
    LEFT JOIN ${view.relation} x ON ${on.join(' AND ')}
    GROUP BY e.__trove_row)`;
}
