import { quoteIdentifier } from '../duckdb/sql-literals.ts';

/**
 * The ASOF sort key packs (event time, created time) into one 128-bit integer: event microseconds
 * times 2^64, plus created microseconds (a null created time is -2^63, below every real value, which
 * stay within (-2^63, 2^63)); the entity side adds 2^63 - 1, the largest. Integer order is then the lexicographic order of the pair. A struct key gives the
 * same order but DuckDB compares structs much more slowly (measured 1.65× the join time).
 */
const SLOT = '18446744073709551616::HUGEINT';
const CREATED_NULL = '(-9223372036854775808)::HUGEINT';
const CREATED_MAX = '9223372036854775807::HUGEINT';

/** One requested view as the join sees it. */
export interface PitView {
  /** Relation of the view's stored rows (join keys, `event_timestamp`, `created_timestamp`, features). */
  relation: string;
  /** Join key names, in the view's entity order. */
  keys: readonly string[];
  /** Time to live in microseconds; 0 means no lower bound. */
  ttlMicros: bigint;
  /** No two stored rows share join keys and event time, so matching on event time alone is exact. */
  uniqueKeyTimes: boolean;
  /** Features to output: stored name and output name, in request order. */
  features: readonly { name: string; outputName: string }[];
}

/** The join's inputs besides the views. */
export interface PitRequest {
  /** Relation of the entity rows; must have `__trove_row` (input order). */
  entities: string;
  /** Entity column holding the row's time as TIMESTAMPTZ (quoted). */
  timestampColumn: string;
  /** Entity column holding each join key, of the key's declared type (quoted). */
  keyColumn: (key: string) => string;
  /** Columns passed through unchanged, in order. */
  passThrough: readonly string[];
  views: readonly PitView[];
  /**
   * Relations of windowed features (aggregation views, window-aggregates-sql.ts), each holding one
   * row per entity row, keyed by `__trove_row`.
   */
  windowed: readonly string[];
}

/** Output order of feature columns, which may interleave views when the request does. */
export interface PitOutputColumn {
  /** Index into `views`, or into `windowed` when `windowed` is set. */
  view: number;
  windowed?: boolean;
  /** The stored feature's name, or the windowed relation's column. */
  name: string;
  outputName: string;
}

/**
 * The point-in-time join as one DuckDB query (SPEC §4):
 *
 * - Each view is joined with `ASOF LEFT JOIN ... ON keys = keys AND sort_key(e) >= sort_key(v)`.
 *   The sort key is the pair `(event_timestamp, created_timestamp)` with null created lowest (see
 *   SLOT), and the entity side uses `(t, greatest)`, so the match is the row with the greatest event time `<= t`
 *   and, among rows at that event time, the greatest created timestamp (null ranking lowest). This
 *   avoids a window pass that pre-deduplicates the view on (keys, event time).
 * - The ttl is checked after the match: the chosen row is the newest at or before `t`, so if it is
 *   older than `t - ttl` every other candidate is older still, and the answer is null. Both bounds
 *   are inclusive.
 * - Windowed features come computed per entity row and are joined on the row number, one row each.
 * - Entity rows carry their input row number; the output is ordered by it, so every input row
 *   appears once, in order, duplicates included (ASOF LEFT JOIN yields exactly one row per left row).
 */
export function pointInTimeSql(request: PitRequest, order: readonly PitOutputColumn[]): string {
  const select: string[] = request.passThrough.map((c) => `e.${quoteIdentifier(c)}`);
  for (const col of order) {
    if (col.windowed) {
      select.push(`w${col.view}.${quoteIdentifier(col.name)} AS ${quoteIdentifier(col.outputName)}`);
      continue;
    }
    const view = request.views[col.view]!;
    const alias = `v${col.view}`;
    const value = `${alias}.${quoteIdentifier(col.name)}`;
    const expr =
      view.ttlMicros > 0n
        ? `CASE WHEN ${alias}.__trove_ets >= e.${request.timestampColumn} - to_microseconds(${view.ttlMicros}::BIGINT) THEN ${value} END`
        : value;
    select.push(`${expr} AS ${quoteIdentifier(col.outputName)}`);
  }
  const joins = request.views.map((view, i) => {
    const alias = `v${i}`;
    const keys = view.keys.map((k) => `${quoteIdentifier(k)}`);
    // Without ties on (keys, event time) the created time never decides, and an 8-byte key sorts
    // and compares much faster than the 16-byte packed one (about 40% of the join's CPU time). The
    // event time is then the sort key itself, not a second column carried through the join.
    const ts = `e.${request.timestampColumn}`;
    const entityKey = view.uniqueKeyTimes ? ts : `${SLOT} * epoch_us(${ts})::HUGEINT + ${CREATED_MAX}`;
    const sortKey = view.uniqueKeyTimes ? '__trove_ets' : '__trove_sk';
    const columns = [
      ...keys,
      '"event_timestamp" AS __trove_ets',
      ...(view.uniqueKeyTimes
        ? []
        : [
            `${SLOT} * epoch_us("event_timestamp")::HUGEINT + coalesce(epoch_us("created_timestamp")::HUGEINT, ${CREATED_NULL}) AS __trove_sk`,
          ]),
      ...view.features.map((f) => quoteIdentifier(f.name)),
    ];
    const on = [
      ...view.keys.map((k) => `e.${request.keyColumn(k)} = ${alias}.${quoteIdentifier(k)}`),
      `${entityKey} >= ${alias}.${sortKey}`,
    ];
    return `ASOF LEFT JOIN (SELECT ${columns.join(', ')} FROM ${view.relation}) ${alias} ON ${on.join(' AND ')}`;
  });
  const windowed = request.windowed.map(
    (relation, i) => `LEFT JOIN ${relation} w${i} ON w${i}.__trove_row = e.__trove_row`,
  );
  return `SELECT ${select.join(', ')} FROM ${request.entities} e ${[...windowed, ...joins].join(' ')} ORDER BY e.__trove_row`;
}
