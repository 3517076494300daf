/**
 * The partial aggregate of a set of events (a tile, a push's share of a tile, or a whole window):
 * enough per aggregated column to give every function of SPEC §7 exactly, and mergeable, so a
 * window is the merge of its tiles. Counts and integer sums are exact (bigint); float sums add in
 * doubles; variances use Welford's moments, merged with Chan's formula (relative error far below
 * 1e-9 for data that is not ill-conditioned); first, last and the last n keep the events' order
 * keys (event time, created time with null lowest, value) so merges pick the same events as the
 * training join. Its stored form: tile-codec.ts.
 */
import type { AggregationView } from '../../definitions/aggregation/aggregation-view.ts';
import { listElementType, type ValueType } from '../../definitions/value-type.ts';

/** An event's value with its place in the SPEC order: event µs, created µs (null lowest), value. */
export type OrderedValue = [ts: number, created: number | null, value: unknown];

/** The partial aggregate of one column. Unused parts stay at their initial values. */
export interface ColumnState {
  count: number;
  sum: bigint | number;
  /** Welford's count, mean and sum of squared deviations of the values as doubles. */
  n: number;
  mean: number;
  m2: number;
  min: unknown;
  max: unknown;
  first: OrderedValue | null;
  last: OrderedValue | null;
  /** The `lastN` greatest values, greatest first. */
  lastN: OrderedValue[];
}

export interface TileState {
  /** Events (rows), nulls included: column-less `count`. */
  rows: number;
  /** The greatest event time (µs) among the events; -Infinity when none. */
  maxTs: number;
  columns: ColumnState[];
}

/** What a view's state keeps for one of its aggregated columns. */
export interface ColumnPlan {
  name: string;
  type: ValueType;
  integer: boolean;
  sum: boolean;
  moments: boolean;
  min: boolean;
  max: boolean;
  first: boolean;
  last: boolean;
  /** The largest `n` of the column's `last_n` aggregations; 0 when it has none. */
  lastN: number;
}

const INTEGER_TYPES: ReadonlySet<ValueType> = new Set(['int32', 'int64']);

/** The parts of the state each of a registered view's columns needs. */
export function columnPlans(view: Pick<AggregationView, 'columns' | 'aggregations'>): ColumnPlan[] {
  return view.columns.map((c) => {
    const fns = view.aggregations.filter((a) => a.column === c.name);
    const has = (...names: string[]): boolean => fns.some((a) => names.includes(a.function));
    return {
      name: c.name,
      type: c.type,
      integer: INTEGER_TYPES.has(c.type),
      sum: has('sum', 'mean'),
      moments: has('stddev_samp', 'stddev_pop', 'var_samp', 'var_pop'),
      min: has('min'),
      max: has('max'),
      first: has('first'),
      last: has('last'),
      lastN: Math.max(0, ...fns.filter((a) => a.function === 'last_n').map((a) => a.n ?? 0)),
    };
  });
}

export function emptyState(plans: readonly ColumnPlan[]): TileState {
  return {
    rows: 0,
    maxTs: Number.NEGATIVE_INFINITY,
    columns: plans.map((p) => ({
      count: 0,
      sum: p.integer ? 0n : 0,
      n: 0,
      mean: 0,
      m2: 0,
      min: null,
      max: null,
      first: null,
      last: null,
      lastN: [],
    })),
  };
}

/** Code point order, as DuckDB compares VARCHAR (bytewise UTF-8), not UTF-16 unit order. */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Orders two non-null canonical values of one type as DuckDB does (NaN greatest). */
export function compareValues(type: ValueType, a: unknown, b: unknown): number {
  const element = listElementType(type);
  if (element) {
    const x = a as unknown[];
    const y = b as unknown[];
    for (let i = 0; i < Math.min(x.length, y.length); i++) {
      if (x[i] === null || y[i] === null) {
        if (x[i] !== y[i]) return x[i] === null ? 1 : -1;
        continue;
      }
      const c = compareValues(element, x[i], y[i]);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  switch (type) {
    case 'string':
      return compareStrings(a as string, b as string);
    case 'bytes':
      return Buffer.compare(a as Uint8Array, b as Uint8Array);
    case 'bool':
      return a === b ? 0 : a ? 1 : -1;
    default: {
      if (typeof a === 'number' && (Number.isNaN(a) || Number.isNaN(b as number)))
        return Number.isNaN(a) ? (Number.isNaN(b as number) ? 0 : 1) : -1;
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    }
  }
}

function compareOrdered(type: ValueType, a: OrderedValue, b: OrderedValue): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) {
    if (a[1] === null) return -1;
    if (b[1] === null) return 1;
    return a[1] < b[1] ? -1 : 1;
  }
  return compareValues(type, a[2], b[2]);
}

/** Puts `v` into a greatest-first list of at most `n`. */
function insertLastN(type: ValueType, list: OrderedValue[], v: OrderedValue, n: number): void {
  let i = list.length;
  while (i > 0 && compareOrdered(type, v, list[i - 1]!) > 0) i--;
  if (i >= n) return;
  list.splice(i, 0, v);
  if (list.length > n) list.length = n;
}

function addMoments(s: ColumnState, x: number): void {
  s.n++;
  const d = x - s.mean;
  s.mean += d / s.n;
  s.m2 += d * (x - s.mean);
}

/** Adds one event: event and created µs, then the canonical value of each column (null skipped). */
export function addEvent(
  plans: readonly ColumnPlan[],
  state: TileState,
  ts: number,
  created: number | null,
  values: readonly unknown[],
): void {
  state.rows++;
  if (ts > state.maxTs) state.maxTs = ts;
  for (let c = 0; c < plans.length; c++) {
    const v = values[c];
    if (v === null || v === undefined) continue;
    const p = plans[c]!;
    const s = state.columns[c]!;
    s.count++;
    if (p.sum)
      s.sum = p.integer
        ? (s.sum as bigint) + BigInt(v as number | bigint)
        : (s.sum as number) + (v as number);
    if (p.moments) addMoments(s, Number(v));
    if (p.min && (s.min === null || compareValues(p.type, v, s.min) < 0)) s.min = v;
    if (p.max && (s.max === null || compareValues(p.type, v, s.max) > 0)) s.max = v;
    if (p.first || p.last || p.lastN > 0) {
      const o: OrderedValue = [ts, created, v];
      if (p.first && (s.first === null || compareOrdered(p.type, o, s.first) < 0)) s.first = o;
      if (p.last && (s.last === null || compareOrdered(p.type, o, s.last) > 0)) s.last = o;
      if (p.lastN > 0) insertLastN(p.type, s.lastN, o, p.lastN);
    }
  }
}

/** Merges one column's partial aggregate `b` into `a` (values of `b` are shared, not copied). */
export function mergeColumn(p: ColumnPlan, a: ColumnState, b: ColumnState): void {
  if (b.count === 0) return;
  a.count += b.count;
  if (p.sum)
    a.sum = p.integer ? (a.sum as bigint) + (b.sum as bigint) : (a.sum as number) + (b.sum as number);
  if (p.moments) {
    const n = a.n + b.n;
    const d = b.mean - a.mean;
    a.m2 = a.m2 + b.m2 + (d * d * a.n * b.n) / n;
    a.mean = a.mean + (d * b.n) / n;
    a.n = n;
  }
  if (p.min && b.min !== null && (a.min === null || compareValues(p.type, b.min, a.min) < 0)) a.min = b.min;
  if (p.max && b.max !== null && (a.max === null || compareValues(p.type, b.max, a.max) > 0)) a.max = b.max;
  if (p.first && b.first && (a.first === null || compareOrdered(p.type, b.first, a.first) < 0))
    a.first = b.first;
  if (p.last && b.last && (a.last === null || compareOrdered(p.type, b.last, a.last) > 0)) a.last = b.last;
  if (p.lastN > 0) for (const o of b.lastN) insertLastN(p.type, a.lastN, o, p.lastN);
}

/** Merges `from` into `into`. */
export function mergeState(plans: readonly ColumnPlan[], into: TileState, from: TileState): void {
  into.rows += from.rows;
  if (from.maxTs > into.maxTs) into.maxTs = from.maxTs;
  for (let c = 0; c < plans.length; c++) mergeColumn(plans[c]!, into.columns[c]!, from.columns[c]!);
}
