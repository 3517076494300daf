/**
 * The header every online value starts with: a format version and the row's order key (event time,
 * created time) as fixed-width hex, so the write script can compare two rows without decoding them
 * and without relying on Redis' locale-dependent string comparison.
 */

import type { ByteWriter } from './value-codec.ts';

/** Format version of online values; bump on any change to the value layout. */
export const VALUE_FORMAT_VERSION = '1';
/** Bytes of the header: version + 16 hex digits of event time + 16 of created time. */
export const HEADER_BYTES = 33;

const BIAS = 1n << 63n;
const NULL_CREATED = '0'.repeat(16);
const VERSION_BYTE = VALUE_FORMAT_VERSION.charCodeAt(0);

function biasedHex(micros: bigint): string {
  return (micros + BIAS).toString(16).padStart(16, '0');
}

/**
 * Header of a row with event time `eventMicros` and created time `createdMicros` (microseconds since
 * the epoch). A null created time ranks below every value, as in the point-in-time join.
 */
export function rowHeader(eventMicros: bigint, createdMicros: bigint | null): string {
  return `${VALUE_FORMAT_VERSION}${biasedHex(eventMicros)}${createdMicros === null ? NULL_CREATED : biasedHex(createdMicros)}`;
}

/**
 * Writes the header of a row whose event and created times (µs) are little-endian int64s at
 * `event[eventAt]` and `created[createdAt]` (created null: ranks lowest), without a bigint.
 */
export function writeRowHeaderBytes(
  w: ByteWriter,
  event: Uint8Array,
  eventAt: number,
  created: Uint8Array | null,
  createdAt: number,
): void {
  w.u8(VERSION_BYTE);
  w.biasedHex64(event, eventAt);
  if (created === null) w.latin1(NULL_CREATED);
  else w.biasedHex64(created, createdAt);
}

/** Digit value of each byte; -1 for anything the writer never puts in a header (uppercase too). */
const HEX_DIGIT = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX_DIGIT[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX_DIGIT[0x61 + i] = 10 + i;

/** Eight hex digits at `at` as an unsigned 32-bit number, or -1 if any byte is not a digit. */
function hex32(value: Uint8Array, at: number): number {
  let n = 0;
  let bad = 0;
  for (let i = at; i < at + 8; i++) {
    const d = HEX_DIGIT[value[i]!]!;
    bad |= d;
    n = n * 16 + d;
  }
  return bad < 0 ? -1 : n;
}

/**
 * Event time (µs) of an encoded value, or NaN when the header is not one this version writes.
 * Read from the bytes in two 32-bit halves, each exact; the result is exact while |micros| < 2^53
 * (year ±285k).
 */
export function headerEventMicros(value: Uint8Array): number {
  if (value.length < HEADER_BYTES || value[0] !== VERSION_BYTE) return Number.NaN;
  const hi = hex32(value, 1);
  const lo = hex32(value, 9);
  if (hi < 0 || lo < 0) return Number.NaN;
  return (hi - 0x80000000) * 0x1_0000_0000 + lo;
}
