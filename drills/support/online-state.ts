/**
 * A project's whole online state, every entity hash and every view's watermark hash, keyed without
 * the key prefix so that states written under different prefixes (a clean run's and a drill's)
 * compare value by value.
 */
import type { OnlineStore } from '../../src/online/online-store.ts';
import { dumpOnline } from '../../tests/materialize/offline-fixture.ts';

/** Field → value (hex) per entity hash, and field → value per view's watermark hash. */
export interface OnlineState {
  values: Map<string, Record<string, string>>;
  watermarks: Map<string, Record<string, string>>;
}

export async function readOnlineState(store: OnlineStore, views: readonly string[]): Promise<OnlineState> {
  const base = store.keys.base.length;
  const values = new Map([...(await dumpOnline(store))].map(([k, v]) => [k.slice(base), v]));
  const watermarks = new Map<string, Record<string, string>>();
  for (const view of views) watermarks.set(view, await store.client.hgetall(store.keys.watermarks(view)));
  return { values, watermarks };
}

/** How a state differs from the expected one, counted in values (one view's field of one entity). */
export interface StateDiff {
  /** Expected values that are missing. */
  lost: number;
  /** Values present but not the expected ones. */
  stale: number;
  /** Values that should not be there at all. */
  extra: number;
  /** Values present in the expected state. */
  expected: number;
  /** Views whose watermark hash (watermark and newest event time) differs. */
  watermarkDiffs: string[];
}

export function diffStates(expected: OnlineState, actual: OnlineState): StateDiff {
  const diff: StateDiff = { lost: 0, stale: 0, extra: 0, expected: 0, watermarkDiffs: [] };
  for (const [key, fields] of expected.values) {
    const got = actual.values.get(key) ?? {};
    for (const [field, value] of Object.entries(fields)) {
      diff.expected++;
      if (got[field] === undefined) diff.lost++;
      else if (got[field] !== value) diff.stale++;
    }
  }
  for (const [key, fields] of actual.values) {
    const want = expected.values.get(key) ?? {};
    for (const field of Object.keys(fields)) if (want[field] === undefined) diff.extra++;
  }
  for (const view of new Set([...expected.watermarks.keys(), ...actual.watermarks.keys()])) {
    if (!sameRecord(expected.watermarks.get(view) ?? {}, actual.watermarks.get(view) ?? {}))
      diff.watermarkDiffs.push(view);
  }
  return diff;
}

/** Values of `earlier` that `later` no longer holds, or holds changed: a rerun must never undo a write. */
export function regressedValues(earlier: OnlineState, later: OnlineState): number {
  let n = 0;
  for (const [key, fields] of earlier.values) {
    const now = later.values.get(key) ?? {};
    for (const [field, value] of Object.entries(fields)) if (now[field] !== value) n++;
  }
  return n;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
