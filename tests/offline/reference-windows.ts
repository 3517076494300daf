/**
 * SPEC §7 read plainly, one entity row and one feature at a time, for the property test of the
 * training join of aggregation views: no SQL, no tiles, nothing clever.
 */
import type { AggregationFeatureSpec } from '../../src/definitions/aggregation/aggregation-view.ts';

/** A scalar value of an event's column. */
export type RefValue = bigint | number | string;

/** One event (one source row). */
export interface RefEvent {
  key: bigint | null;
  /** Event and created time, epoch microseconds; a null created time ranks lowest. */
  ts: bigint;
  created: bigint | null;
  values: Record<string, RefValue | null>;
}

/** `ceil(a / g)` for bigints (whose division truncates toward zero). */
function ceilDiv(a: bigint, g: bigint): bigint {
  const q = a / g;
  return a % g !== 0n && a > 0n ? q + 1n : q;
}

/** The first instant of the window `w` with granularity `g` at `t`: `ceil((t - w) / g) * g`. */
export function windowStart(t: bigint, w: bigint, g: bigint): bigint {
  return ceilDiv(t - w, g) * g;
}

function compareValues(a: RefValue, b: RefValue): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Event order of SPEC §7: event time, then created time (null lowest), then value. */
function compareEvents(a: RefEvent, b: RefEvent, column: string): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  if (a.created !== b.created) {
    if (a.created === null) return -1;
    if (b.created === null) return 1;
    return a.created < b.created ? -1 : 1;
  }
  return compareValues(a.values[column] as RefValue, b.values[column] as RefValue);
}

/** Population variance by the two-pass formula, in doubles. */
function sumOfSquares(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
}

/**
 * The value of one feature for an entity row with key `key` at time `t` (epoch µs), from every
 * event given: integers as bigints, floats as numbers, `last_n` as an array, greatest first.
 * `integer` says whether the column holds integers (their sums are int64).
 */
export function referenceValue(
  spec: AggregationFeatureSpec,
  events: readonly RefEvent[],
  key: bigint | null,
  t: bigint,
  integer: boolean,
): unknown {
  const start = windowStart(t, BigInt(spec.window) * 1_000_000n, BigInt(spec.granularity) * 1_000_000n);
  const inWindow = events.filter((e) => key !== null && e.key === key && e.ts >= start && e.ts <= t);
  if (spec.column === undefined) return BigInt(inWindow.length);
  const column = spec.column;
  const present = inWindow.filter((e) => e.values[column] !== null);
  const values = present.map((e) => e.values[column] as RefValue);
  const numbers = values.map(Number);
  switch (spec.function) {
    case 'count':
      return BigInt(values.length);
    case 'sum':
      return integer
        ? values.reduce<bigint>((s, v) => s + (v as bigint), 0n)
        : numbers.reduce((s, v) => s + v, 0);
    case 'mean':
      if (values.length === 0) return null;
      return integer
        ? Number(values.reduce<bigint>((s, v) => s + (v as bigint), 0n)) / values.length
        : numbers.reduce((s, v) => s + v, 0) / values.length;
    case 'var_pop':
      return values.length === 0 ? null : sumOfSquares(numbers) / values.length;
    case 'var_samp':
      return values.length < 2 ? null : sumOfSquares(numbers) / (values.length - 1);
    case 'stddev_pop':
      return values.length === 0 ? null : Math.sqrt(sumOfSquares(numbers) / values.length);
    case 'stddev_samp':
      return values.length < 2 ? null : Math.sqrt(sumOfSquares(numbers) / (values.length - 1));
    case 'min':
      return values.length === 0 ? null : values.reduce((m, v) => (compareValues(v, m) < 0 ? v : m));
    case 'max':
      return values.length === 0 ? null : values.reduce((m, v) => (compareValues(v, m) > 0 ? v : m));
    case 'first':
    case 'last':
    case 'last_n': {
      const ordered = [...present].sort((a, b) => compareEvents(a, b, column));
      if (spec.function === 'first') return ordered.length === 0 ? null : ordered[0]!.values[column];
      if (spec.function === 'last') return ordered.length === 0 ? null : ordered.at(-1)!.values[column];
      return ordered
        .slice(-(spec.n ?? 0))
        .reverse()
        .map((e) => e.values[column]);
    }
  }
}
