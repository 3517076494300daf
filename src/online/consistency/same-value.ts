/**
 * Whether an online value and a training-join value agree as values of the declared type. The
 * online read gives int64 as bigint, timestamps as Date (milliseconds), lists as arrays; the join's
 * Arrow columns give int64 as bigint, timestamps as (fractional) epoch milliseconds, lists as
 * vectors. Floats agree within a tolerance: float32 values within a relative 1e-6 (a float32 has
 * about 7 significant digits), float64 within a relative 1e-9 plus 1e-12 absolute (SPEC §7 allows
 * that much for windowed sums, means and variances, which online and offline add up in different
 * orders). Everything else must be equal exactly.
 */
import { listElementType, type ScalarType, type ValueType } from '../../definitions/value-type.ts';

const FLOAT32_RELATIVE = 1e-6;
const FLOAT64_RELATIVE = 1e-9;
const FLOAT64_ABSOLUTE = 1e-12;

function closeEnough(a: number, b: number, relative: number, absolute: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= relative * Math.max(Math.abs(a), Math.abs(b)) + absolute;
}

function millisOf(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return Math.floor(value);
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

function itemsOf(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object' && Symbol.iterator in value)
    return [...(value as Iterable<unknown>)];
  return undefined;
}

function sameScalar(type: ScalarType, online: unknown, offline: unknown): boolean {
  switch (type) {
    case 'float32':
      return (
        typeof online === 'number' &&
        typeof offline === 'number' &&
        closeEnough(online, offline, FLOAT32_RELATIVE, 0)
      );
    case 'float64':
      return (
        typeof online === 'number' &&
        typeof offline === 'number' &&
        closeEnough(online, offline, FLOAT64_RELATIVE, FLOAT64_ABSOLUTE)
      );
    case 'int32':
    case 'int64':
      return (
        (typeof online === 'number' || typeof online === 'bigint') &&
        (typeof offline === 'number' || typeof offline === 'bigint') &&
        BigInt(online) === BigInt(offline)
      );
    case 'timestamp': {
      const a = millisOf(online);
      return a !== undefined && a === millisOf(offline);
    }
    case 'bytes':
      return (
        online instanceof Uint8Array &&
        offline instanceof Uint8Array &&
        Buffer.from(online).equals(Buffer.from(offline))
      );
    default:
      return online === offline;
  }
}

export function sameValue(type: ValueType, online: unknown, offline: unknown): boolean {
  const a = online ?? null;
  const b = offline ?? null;
  if (a === null || b === null) return a === b;
  const element = listElementType(type);
  if (!element) return sameScalar(type as ScalarType, a, b);
  const left = itemsOf(a);
  const right = itemsOf(b);
  if (!left || !right || left.length !== right.length) return false;
  return left.every((item, i) => {
    const other = right[i] ?? null;
    return item === null || other === null ? (item ?? null) === other : sameScalar(element, item, other);
  });
}
