import { normalizeValue } from '../input-values.ts';
import type { CheckedFeature, FeatureCheckKind } from './feature-checks.ts';

/** A check that each row passes or fails on its own. */
export type RowCheckKind = Extract<FeatureCheckKind, 'notNull' | 'min' | 'max' | 'allowed'>;

/** One row check of a feature, ready to test canonical values (as normalizeValue gives them). */
export interface RowCheck {
  kind: RowCheckKind;
  /** The check as written, for messages: `max 1`, `allowed ["a","b"]`, `notNull`. */
  rule: string;
  /** Whether a canonical value fails the check. */
  fails(value: unknown): boolean;
}

/** `allowed` values shown in messages: the list, cut when long. */
export function describeAllowed(values: readonly (string | number | boolean)[]): string {
  const text = JSON.stringify(values);
  return text.length <= 80 ? text : `${text.slice(0, 79)}…]`;
}

/** A key equal for equal canonical values of one type (bigint, number, string, boolean). */
const valueKey = (value: unknown): string => `${typeof value}:${String(value)}`;

const isNaNValue = (value: unknown): boolean => typeof value === 'number' && Number.isNaN(value);

/**
 * The row checks a feature declares, in a fixed order (notNull, min, max, allowed). Bounds of a
 * float32 feature are rounded to float32, as its values are, so `max: 0.1` passes a stored 0.1. NaN
 * fails `min` and `max`: it is no number within any bound.
 */
export function rowChecksOf(feature: CheckedFeature): RowCheck[] {
  const checks = feature.checks;
  if (!checks) return [];
  const out: RowCheck[] = [];
  const bound = (n: number): number => (feature.type === 'float32' ? Math.fround(n) : n);
  if (checks.notNull)
    out.push({ kind: 'notNull', rule: 'notNull', fails: (v) => v === null || v === undefined });
  if (checks.min !== undefined) {
    const min = bound(checks.min);
    out.push({
      kind: 'min',
      rule: `min ${checks.min}`,
      fails: (v) => v !== null && v !== undefined && (isNaNValue(v) || (v as number | bigint) < min),
    });
  }
  if (checks.max !== undefined) {
    const max = bound(checks.max);
    out.push({
      kind: 'max',
      rule: `max ${checks.max}`,
      fails: (v) => v !== null && v !== undefined && (isNaNValue(v) || (v as number | bigint) > max),
    });
  }
  if (checks.allowed !== undefined) {
    const allowed = new Set(checks.allowed.map((a) => valueKey(normalizeValue(feature.type, a, 'allowed'))));
    out.push({
      kind: 'allowed',
      rule: `allowed ${describeAllowed(checks.allowed)}`,
      fails: (v) => v !== null && v !== undefined && !allowed.has(valueKey(v)),
    });
  }
  return out;
}
