/**
 * Direct byte access to a fixed-width DuckDB vector. The vectors of @duckdb/node-api keep a typed
 * array (or DataView) over the chunk's native data and the validity words; reading those skips a
 * JS value per cell (a bigint for every BIGINT) and the validity check's bigint arithmetic. The
 * fields are not public API: their shape is checked at run time, and `undefined` sends callers to
 * the public per-item API.
 */
import os from 'node:os';
import type { DuckDBVector } from '@duckdb/node-api';

/** A fixed-width column of one chunk, as bytes. */
export interface RawColumn {
  /** Cell `row` is `bytes[row * width .. (row + 1) * width)`, in the machine's (little) endianness. */
  bytes: Uint8Array;
  width: number;
  /** Validity bits (bit `offset + row` set when valid); null when every cell is valid. */
  validity: Uint8Array | null;
  offset: number;
}

interface VectorFields {
  items?: unknown;
  dataView?: unknown;
  validity?: { data?: unknown; offset?: unknown };
}

const LITTLE_ENDIAN = os.endianness() === 'LE';

/**
 * The bytes of `vector` when it holds `rows` cells of `width` bytes each; undefined when the
 * vector's shape is not the one expected (another version of the client, another vector kind).
 */
export function rawColumn(vector: DuckDBVector, width: number, rows: number): RawColumn | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  const fields = vector as unknown as VectorFields;
  const data = fields.items ?? fields.dataView;
  if (!ArrayBuffer.isView(data) || data.byteLength < rows * width) return undefined;
  if (
    'BYTES_PER_ELEMENT' in data &&
    (data as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT !== width
  )
    return undefined;
  const words = fields.validity?.data;
  const offset = fields.validity?.offset;
  if (words !== null && words !== undefined && !(words instanceof BigUint64Array)) return undefined;
  if (typeof offset !== 'number') return undefined;
  return {
    bytes: new Uint8Array(data.buffer, data.byteOffset, rows * width),
    width,
    validity: words ? new Uint8Array(words.buffer, words.byteOffset, words.byteLength) : null,
    offset,
  };
}

/** Whether cell `row` of a raw column holds a value (not null). */
export function rawValid(column: RawColumn, row: number): boolean {
  const v = column.validity;
  if (v === null) return true;
  const bit = column.offset + row;
  return ((v[bit >> 3]! >> (bit & 7)) & 1) === 1;
}
