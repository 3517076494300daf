/**
 * Checks values given by callers (entity keys in reads, pushed rows) against declared types and
 * brings them to the canonical form the codecs take: int64 as bigint, timestamps as bigint
 * microseconds, bytes as Uint8Array, lists as arrays. Accepted inputs: integers as number, bigint or
 * decimal text; timestamps as Date, ISO 8601 text (no zone = UTC) or epoch seconds; bytes as
 * Uint8Array or base64 text.
 */

import { TroveError } from '../errors.ts';
import { showValue } from '../show-value.ts';
import { listElementType, type ScalarType, type ValueType } from './value-type.ts';

export class InvalidValueError extends TroveError {
  constructor(message: string) {
    super('INVALID_VALUE', message, 400);
    this.name = 'InvalidValueError';
  }
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function integer(value: unknown, min: bigint, max: bigint): bigint | undefined {
  let n: bigint | undefined;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) n = BigInt(value);
  return n !== undefined && n >= min && n <= max ? n : undefined;
}

/** Microseconds since the epoch of an ISO 8601 text, keeping sub-millisecond digits. */
export function parseTimestampMicros(text: string): bigint | undefined {
  const m = ISO.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let offsetMinutes = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const micros = BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * 1000n + micros;
}

function scalar(type: ScalarType, value: unknown): unknown {
  switch (type) {
    case 'int32': {
      const n = integer(value, -(1n << 31n), (1n << 31n) - 1n);
      return n === undefined ? undefined : Number(n);
    }
    case 'int64':
      return integer(value, INT64_MIN, INT64_MAX);
    case 'float32':
    case 'float64':
      if (typeof value === 'number') return type === 'float32' ? Math.fround(value) : value;
      // A JSON integer too large for a double arrives as a bigint; as a float it is only rounded.
      if (typeof value === 'bigint') return Number(value);
      // JSON has no NaN or infinities; proto3 JSON, which Feast clients follow, spells them so.
      if (value === 'NaN') return Number.NaN;
      if (value === 'Infinity') return Number.POSITIVE_INFINITY;
      if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
      return undefined;
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'bool':
      return typeof value === 'boolean' ? value : undefined;
    case 'bytes':
      if (value instanceof Uint8Array) return value;
      if (typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value))
        return new Uint8Array(Buffer.from(value, 'base64'));
      return undefined;
    case 'timestamp':
      if (value instanceof Date) {
        const ms = value.getTime();
        return Number.isNaN(ms) ? undefined : BigInt(ms) * 1000n;
      }
      if (typeof value === 'string') return parseTimestampMicros(value);
      if (typeof value === 'number' && Number.isFinite(value)) return BigInt(Math.round(value * 1e6));
      return undefined;
  }
}

/**
 * Canonical form of `value` for `type`, or an InvalidValueError naming `where` (e.g.
 * `column conv_rate, row 3`). Null and undefined are null.
 */
export function normalizeValue(type: ValueType, value: unknown, where: string): unknown {
  if (value === null || value === undefined) return null;
  const element = listElementType(type);
  if (element) {
    if (!Array.isArray(value))
      throw new InvalidValueError(`${where}: expected a list of ${element}, got ${showValue(value)}`);
    return value.map((item, i) => normalizeValue(element, item, `${where}, item ${i}`));
  }
  const out = scalar(type as ScalarType, value);
  if (out === undefined) throw new InvalidValueError(`${where}: expected ${type}, got ${showValue(value)}`);
  return out;
}

/** The value a read returns for a canonical value (timestamps back to Date). */
export function presentValue(type: ValueType, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const element = listElementType(type);
  if (element) return (value as unknown[]).map((v) => presentValue(element, v));
  if (type === 'timestamp') {
    const micros = value as bigint;
    return new Date(Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0));
  }
  return value;
}
