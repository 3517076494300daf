import type { AggregationFeatureSpec } from '../../definitions/aggregation/aggregation-view.ts';
import { duckdbTypeOf, type ValueType } from '../../definitions/value-type.ts';
import { quoteIdentifier, quoteString } from '../../duckdb/sql-literals.ts';

const INT64_MIN = '(-9223372036854775808)::HUGEINT';
const INT64_MAX = '9223372036854775807::HUGEINT';

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
  /** Relation of the view's events, as `windowEventsRelation` gives them. */
  relation: string;
  /** Join key names, in the view's entity order. */
  keys: readonly string[];
  /** The columns ranked in `relation` (first, last and last_n read them), in rank column order. */
  ordered: readonly string[];
  features: readonly WindowedFeature[];
  /**
   * No two events share a rank, whatever their keys (ranks of the event index): first and last
   * then look their value up by rank alone, so the aggregation groups by entity row only.
   */
  uniqueRanks?: boolean;
  /** Aggregated columns known to hold no null in `relation`: their counts are counts of events. */
  nonNull?: ReadonlySet<string>;
  /**
   * Floating-point sums, means and variances add their values in a fixed order (event time, then
   * value) instead of the order DuckDB's threads happen to finish in: the same inputs then give the
   * same bits, which a dataset that must rebuild byte for byte needs. It costs a sort per entity
   * row's events, so only datasets recorded in the catalog ask for it.
   */
  fixedOrder?: boolean;
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
 * The earliest of the window starts, as SQL over the entity row `e`: a start column that is never
 * later than any other, when one is, else `least` of all. A window `w` of granularity `g` starts
 * in `[t - w, t - w + g)`, so one with `w - g >= w'` for every other window `w'` starts first
 * whatever `t` is (30d at 1d before 7d at 1h), and the join compares against a column, not a call.
 */
function earliestStart(starts: ReadonlyMap<string, string>): string {
  const spans = [...starts].map(([key, column]) => {
    const [w, g] = key.split('/').map(Number) as [number, number];
    return { w, g, column };
  });
  const first = spans.find((a) => spans.every((b) => b === a || a.w - a.g >= b.w));
  if (first) return `e.${first.column}`;
  return `least(${spans.map((s) => `e.${s.column}`).join(', ')})`;
}

/** Name of the column holding an ordered column's rank among its entity's events (see below). */
export function rankColumn(index: number): string {
  return `__trove_rn${index}`;
}

/**
 * The events of an aggregation view as `windowAggregatesSql` reads them, from `stored` (the view's
 * rows in the offline store's layout): join keys, event time as microseconds, and the aggregated
 * columns, limited to event times in `[from, to]` (µs), the span any requested window can reach.
 * Each of `ordered` (columns that first, last or last_n read) also gets its rank
 * (`rankColumn(i)`): the position of each non-null value among its entity's in the SPEC's order
 * (event time, created time with null lowest, value), null where the value is null.
 * Ranks are integers, so the aggregates that pick by them keep fixed-size states and spill.
 */
export function windowEventsRelation(
  stored: string,
  keys: readonly string[],
  columns: readonly string[],
  ordered: readonly string[],
  from: bigint,
  to: bigint,
): string {
  // The created time only orders the ranks: it is dropped after them, so the join that pairs each
  // entity row with its events does not carry it.
  const select = [
    ...keys.map(quoteIdentifier),
    'epoch_us("event_timestamp") AS __trove_ets',
    ...(ordered.length === 0
      ? []
      : [`coalesce(epoch_us("created_timestamp"), ${CREATED_NULL}) AS __trove_cts`]),
    ...columns.map(quoteIdentifier),
  ];
  const events = `SELECT ${select.join(', ')} FROM ${stored}
    WHERE "event_timestamp" BETWEEN make_timestamptz(${from}::BIGINT) AND make_timestamptz(${to}::BIGINT)`;
  if (ordered.length === 0) return `(${events})`;
  const ranks = ordered.map((column, i) => {
    const c = quoteIdentifier(column);
    const partition = [...keys.map(quoteIdentifier), `${c} IS NULL`].join(', ');
    return `CASE WHEN ${c} IS NOT NULL THEN row_number() OVER (PARTITION BY ${partition} ORDER BY __trove_ets, __trove_cts, ${c}) END AS ${rankColumn(i)}`;
  });
  return `(SELECT * EXCLUDE (__trove_cts), ${ranks.join(', ')} FROM (${events}))`;
}

/**
 * The same relation as `windowEventsRelation`, read from a view's event index (event-index.ts):
 * `file` holds every event sorted by keys and time with its ranks computed, `ranks[i]` being the
 * index column that ranks `ordered[i]`. Limited to event times in `[from, to]` (µs).
 */
export function indexedEventsRelation(
  file: string,
  keys: readonly string[],
  columns: readonly string[],
  ranks: readonly string[],
  from: bigint,
  to: bigint,
): string {
  const select = [
    ...keys.map(quoteIdentifier),
    '__trove_ets',
    ...columns.map(quoteIdentifier),
    ...ranks.map((r, i) => `${quoteIdentifier(r)} AS ${rankColumn(i)}`),
  ];
  return `(SELECT ${select.join(', ')} FROM read_parquet(${quoteString(file)})
    WHERE __trove_ets BETWEEN ${from}::BIGINT AND ${to}::BIGINT)`;
}

/** Whether a feature picks one event's value by rank, looked up after the aggregation. */
function picksByRank(feature: WindowedFeature): boolean {
  return feature.spec.function === 'first' || feature.spec.function === 'last';
}

/**
 * Registers an aggregate over the joined events and returns how the row of aggregates refers to
 * it; the same aggregate asked twice (a sum and a mean of one column and window) is computed once.
 */
type Aggregate = (sql: string) => string;

/**
 * One feature over the events `inWindow` admits, as SQL over the aggregates it registers; for
 * first and last, the rank of the event whose value they take (looked up afterwards). A mean is
 * its sum over its count of values, sharing both with the sum and count features of the same
 * window; where the column holds no null, its count of values is the count of events.
 */
function featureSql(
  feature: WindowedFeature,
  inWindow: string,
  rank: string | undefined,
  nonNull: ReadonlySet<string>,
  aggregate: Aggregate,
  fixedOrder: boolean,
): string {
  const { spec, columnType } = feature;
  const value = spec.column === undefined ? '' : `x.${quoteIdentifier(spec.column)}`;
  const where = `FILTER (WHERE ${inWindow})`;
  const isInteger = columnType === 'int32' || columnType === 'int64';
  // Integer sums are exact, so any order gives the same; floating-point ones need a fixed order.
  const ordered = fixedOrder ? ` ORDER BY x.__trove_ets, ${value}` : '';
  const count = () =>
    spec.column === undefined || nonNull.has(spec.column)
      ? aggregate(`count(x.__trove_ets) ${where}`)
      : aggregate(`count(${value}) ${where}`);
  // DuckDB sums integers exactly as HUGEINT, other numbers as doubles.
  const sum = () =>
    aggregate(isInteger ? `sum(${value}) ${where}` : `sum(${value}::DOUBLE${ordered}) ${where}`);
  switch (spec.function) {
    case 'count':
      return count();
    case 'sum': {
      if (!isInteger) return `coalesce(${sum()}, 0)::DOUBLE`;
      // SPEC §7 gives int64, so a sum beyond it fails the dataset, saying which feature, rather
      // than being cut.
      const total = `coalesce(${sum()}, 0)`;
      const overflow = quoteString(`feature ${spec.name}: a sum of integers is beyond the int64 range`);
      return `CASE WHEN ${total} BETWEEN ${INT64_MIN} AND ${INT64_MAX} THEN ${total}::BIGINT ELSE error(${overflow}) END`;
    }
    case 'mean':
      return `(${sum()}::DOUBLE / nullif(${count()}, 0))::DOUBLE`;
    case 'stddev_samp':
    case 'stddev_pop':
    case 'var_samp':
    case 'var_pop':
      return `${aggregate(`${spec.function}(${value}::DOUBLE${ordered}) ${where}`)}::DOUBLE`;
    case 'min':
    case 'max':
      return aggregate(`${spec.function}(${value}) ${where}`);
    // A rank is null where the value is null, so these skip nulls.
    case 'first':
      return aggregate(`min(x.${rank}) ${where}`);
    case 'last':
      return aggregate(`max(x.${rank}) ${where}`);
    case 'last_n':
      return `coalesce(${aggregate(`max_by(${value}, x.${rank}, ${spec.n}) FILTER (WHERE ${inWindow} AND x.${rank} IS NOT NULL)`)}, []::${duckdbTypeOf(columnType!)}[])`;
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
 * - first, last and last_n skip nulls and order events by their rank (windowEventsRelation): first
 *   and last take the least and greatest rank in the window, and their values are looked up by
 *   (keys, rank) after the aggregation; last_n takes the n values of greatest rank. Ranks follow
 *   (event time, created time with null lowest, value), so ties never depend on file order, and
 *   every aggregation state has a fixed size, which DuckDB can spill to disk.
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
  const rankOf = (f: WindowedFeature) =>
    f.spec.column === undefined ? undefined : rankColumn(view.ordered.indexOf(f.spec.column));
  const aggregates = new Map<string, string>();
  const aggregate: Aggregate = (sql) => {
    let name = aggregates.get(sql);
    if (name === undefined) {
      name = `__trove_a${aggregates.size}`;
      aggregates.set(sql, name);
    }
    return `a.${name}`;
  };
  const nonNull = view.nonNull ?? new Set<string>();
  const features = view.features.map((f) =>
    featureSql(
      f,
      `x.__trove_ets >= e.${startOf(f.spec)}`,
      rankOf(f),
      nonNull,
      aggregate,
      view.fixedOrder ?? false,
    ),
  );
  const t = `epoch_us(${entities.timestampColumn})`;
  const startColumns = [...starts].map(([key, column]) => {
    const [window, granularity] = key.split('/').map((s) => BigInt(s) * 1_000_000n) as [bigint, bigint];
    return `${windowStartSql(t, window, granularity)} AS ${column}`;
  });
  const keyNames = view.keys.map((_, i) => `__trove_wk${i}`);
  const keyColumns = view.keys.map((k, i) => `${entities.keyColumn(k)} AS ${keyNames[i]}`);
  const lowest = earliestStart(starts);
  const on = [
    ...view.keys.map((k, i) => `e.${keyNames[i]} = x.${quoteIdentifier(k)}`),
    `x.__trove_ets >= ${lowest}`,
    `x.__trove_ets <= e.__trove_t`,
  ];
  // Keys are carried through the aggregation only for lookups that need them.
  const lookupKeys = view.uniqueRanks || !view.features.some(picksByRank) ? [] : keyNames;
  const aggregated = `SELECT e.__trove_row, ${[...lookupKeys.map((k) => `e.${k}`), ...[...aggregates].map(([sql, name]) => `${sql} AS ${name}`)].join(', ')}
    FROM (SELECT __trove_row, ${[...keyColumns, `${t} AS __trove_t`, ...startColumns].join(', ')} FROM ${entities.relation}) e
    LEFT JOIN __trove_events x ON ${on.join(' AND ')}
    GROUP BY ${['e.__trove_row', ...lookupKeys.map((k) => `e.${k}`)].join(', ')}`;
  // First and last: the value of the event of the rank found, one lookup join each.
  const lookups: string[] = [];
  const outputs = view.features.map((f, i) => {
    if (!picksByRank(f)) return `${features[i]} AS ${windowedColumn(i)}`;
    const alias = `l${i}`;
    const on = [
      ...(view.uniqueRanks
        ? []
        : view.keys.map((k, j) => `${alias}.${quoteIdentifier(k)} = a.${keyNames[j]}`)),
      `${alias}.${rankOf(f)} = ${features[i]}`,
    ];
    lookups.push(`LEFT JOIN __trove_events ${alias} ON ${on.join(' AND ')}`);
    return `${alias}.${quoteIdentifier(f.spec.column!)} AS ${windowedColumn(i)}`;
  });
  return `(WITH __trove_events AS ${view.relation}
    SELECT a.__trove_row, ${outputs.join(', ')} FROM (${aggregated}) a ${lookups.join(' ')})`;
}
