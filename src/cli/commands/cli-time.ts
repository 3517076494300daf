/** Timestamps given on the command line: ISO 8601 (no zone = UTC), or `now`. */

import { parseTimestampMicros } from '../../definitions/input-values.ts';
import { TroveError } from '../../errors.ts';

export function parseCliTime(text: string, what: string): Date {
  if (text === 'now') return new Date();
  const micros = parseTimestampMicros(text);
  if (micros === undefined)
    throw new TroveError(
      'INVALID_TIMESTAMP',
      `${what}: expected an ISO 8601 timestamp such as 2024-01-31T12:00:00Z, got ${text}`,
    );
  return new Date(Number(micros / 1000n));
}

/** `--views a,b` as a list, or undefined for all views. */
export function parseViewList(text: string | undefined): string[] | undefined {
  return text
    ?.split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}
