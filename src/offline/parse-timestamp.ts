import { TroveError } from '../errors.ts';
import { showValue } from '../show-value.ts';

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A point in time with microsecond precision. `Date` only keeps milliseconds, and a training range
 * edge such as `12:00:00.000001` must not be rounded, so times are carried as epoch microseconds.
 */
export interface Instant {
  /** Microseconds since 1970-01-01T00:00:00Z. */
  micros: bigint;
}

/**
 * Parses an ISO 8601 timestamp as given on the command line or in a request. A timestamp without a
 * zone is UTC (never the machine's zone), so the same command gives the same dataset anywhere.
 */
export function parseTimestamp(text: string, what = 'timestamp'): Instant {
  const m = ISO.exec(text.trim());
  if (!m) {
    throw new TroveError(
      'INVALID_TIMESTAMP',
      `${what}: cannot parse ${showValue(text)} as an ISO 8601 timestamp (e.g. 2024-03-10T12:00:00Z)`,
    );
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  const check = new Date(ms);
  if (
    Number.isNaN(ms) ||
    check.getUTCMonth() !== Number(mo) - 1 ||
    check.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    throw new TroveError('INVALID_TIMESTAMP', `${what}: ${showValue(text)} is not a valid date and time`);
  }
  let micros = BigInt(ms) * 1000n + BigInt(frac.padEnd(6, '0').slice(0, 6) || '0');
  if (zone && zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    const sign = zm?.[1] === '-' ? -1n : 1n;
    const offsetMinutes = BigInt(Number(zm?.[2] ?? 0) * 60 + Number(zm?.[3] ?? 0));
    micros -= sign * offsetMinutes * 60_000_000n;
  }
  return { micros };
}

/** An instant from a JS Date (millisecond precision). */
export function instantOfDate(date: Date): Instant {
  return { micros: BigInt(date.getTime()) * 1000n };
}

/** A SQL literal of an instant, exact to the microsecond. */
export function instantSql(instant: Instant): string {
  return `make_timestamptz(${instant.micros}::BIGINT)`;
}

/** ISO text of an instant in UTC with microseconds. */
export function formatInstant(instant: Instant): string {
  const ms = instant.micros / 1000n;
  const rest = Number(((instant.micros % 1000n) + 1000n) % 1000n);
  const base = new Date(Number(ms - (instant.micros < 0n && rest !== 0 ? 1n : 0n))).toISOString();
  return `${base.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}

/** The UTC date (YYYY-MM-DD) an instant falls on: the offline store's partition of it. */
export function utcDateOf(instant: Instant): string {
  const ms = instant.micros / 1000n - (instant.micros % 1000n < 0n ? 1n : 0n);
  return new Date(Number(ms)).toISOString().slice(0, 10);
}

/** A time given as a Date, ISO text (UTC without a zone) or an Instant. */
export type TimeInput = Date | string | Instant;

export function toInstant(value: TimeInput, what = 'timestamp'): Instant {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TroveError('INVALID_TIMESTAMP', `${what}: invalid Date`);
    return instantOfDate(value);
  }
  if (typeof value === 'string') return parseTimestamp(value, what);
  return value;
}
