/**
 * Writes JSON answers without losing what JSON.stringify loses: bigint as its digits (a JSON number,
 * never a string), bytes as base64, Date as ISO 8601 UTC. NaN and ±Infinity have no JSON form; they
 * are written as the strings "NaN", "Infinity" and "-Infinity", as the proto3 JSON mapping (and so
 * Feast's server) does, rather than as null, which would be indistinguishable from a missing value.
 */

/** ISO 8601 UTC without a zero fraction: `2021-04-12T10:59:42Z`, as Feast writes timestamps. */
export function isoTimestamp(date: Date): string | null {
  const ms = date.getTime();
  if (Number.isNaN(ms)) return null;
  const iso = date.toISOString();
  return ms % 1000 === 0 ? `${iso.slice(0, -5)}Z` : iso;
}

function writeNumber(n: number): string {
  if (Number.isFinite(n)) return String(n);
  if (Number.isNaN(n)) return '"NaN"';
  return n > 0 ? '"Infinity"' : '"-Infinity"';
}

/** Appends one value; `undefined` and functions become null (as in arrays for JSON.stringify). */
export function writeJsonValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return writeNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return writeArray(value);
      if (value instanceof Date) {
        const iso = isoTimestamp(value);
        return iso === null ? 'null' : `"${iso}"`;
      }
      if (value instanceof Uint8Array) {
        return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
      }
      if (ArrayBuffer.isView(value)) {
        // Typed arrays of numbers (a list feature held as Float64Array, ...) are written as lists.
        return writeArray(Array.from(value as unknown as ArrayLike<number | bigint>));
      }
      return writeObject(value as Record<string, unknown>);
    }
    default:
      return 'null';
  }
}

function writeArray(values: readonly unknown[]): string {
  if (values.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += writeJsonValue(values[i]);
  }
  return `${out}]`;
}

function writeObject(object: Record<string, unknown>): string {
  const withToJson = object as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return writeJsonValue(withToJson.toJSON());
  let out = '{';
  let first = true;
  for (const key of Object.keys(object)) {
    const v = object[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${writeJsonValue(v)}`;
  }
  return `${out}}`;
}

/** Serializes any answer of the API. */
export function serializeJson(value: unknown): string {
  return writeJsonValue(value);
}
