/**
 * The header every online value starts with: a format version and the row's order key (event time,
 * created time) as fixed-width hex, so the write script can compare two rows without decoding them
 * and without relying on Redis' locale-dependent string comparison.
 */

/** Format version of online values; bump on any change to the value layout. */
export const VALUE_FORMAT_VERSION = '1';
/** Bytes of the header: version + 16 hex digits of event time + 16 of created time. */
export const HEADER_BYTES = 33;

const BIAS = 1n << 63n;
const NULL_CREATED = '0'.repeat(16);

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

const HEX8 = /^[0-9a-f]{8}$/;

function readHex64(text: string, offset: number): number | undefined {
  const hi = text.slice(offset, offset + 8);
  const lo = text.slice(offset + 8, offset + 16);
  if (!HEX8.test(hi) || !HEX8.test(lo)) return undefined;
  // Two 32-bit halves keep every step exact; the result is exact while |micros| < 2^53 (year ±285k).
  return (Number.parseInt(hi, 16) - 0x80000000) * 0x1_0000_0000 + Number.parseInt(lo, 16);
}

/** Event time (µs) of an encoded value, or undefined when the header is not one this version writes. */
export function headerEventMicros(value: Buffer): number | undefined {
  if (value.length < HEADER_BYTES || value[0] !== VALUE_FORMAT_VERSION.charCodeAt(0)) return undefined;
  return readHex64(value.toString('latin1', 1, 17), 0);
}
