/**
 * Binary encoding of one row of a view's features, in definition order, after the row header.
 * Types come from the view's schema (its fingerprint is in the field name), so values carry no
 * type tags: each is a presence byte (0 null, 1 present) and then the value:
 * int32 4 bytes, int64 8 bytes, float32 4 bytes, float64 8 bytes (little endian, exact),
 * bool 1 byte, string/bytes varint length + bytes, timestamp int64 microseconds,
 * list varint count + elements encoded the same way.
 */
import { listElementType, type ScalarType, type ValueType } from '../definitions/value-type.ts';

/** A value that does not decode: corrupt, truncated, or written by an incompatible version. */
export class ValueDecodeError extends Error {
  override name = 'ValueDecodeError';
}

const HEX_CODES = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

/** Growable byte buffer reused across rows, so encoding allocates only the finished value. */
export class ByteWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  reset(): void {
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  latin1(text: string): void {
    this.ensure(text.length);
    this.pos += this.buf.write(text, this.pos, 'latin1');
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  varint(v: number): void {
    this.ensure(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
  }

  i32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeInt32LE(v, this.pos);
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.pos = this.buf.writeBigInt64LE(v, this.pos);
  }

  f32(v: number): void {
    this.ensure(4);
    this.pos = this.buf.writeFloatLE(v, this.pos);
  }

  f64(v: number): void {
    this.ensure(8);
    this.pos = this.buf.writeDoubleLE(v, this.pos);
  }

  utf8(text: string): void {
    const n = Buffer.byteLength(text, 'utf8');
    this.varint(n);
    this.ensure(n);
    this.pos += this.buf.write(text, this.pos, n, 'utf8');
  }

  bytes(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** `n` bytes of `src` from `at`, length first, as `bytes` writes them; no view of them made. */
  bytesAt(src: Uint8Array, at: number, n: number): void {
    this.varint(n);
    if (n <= 64) this.copy(src, at, n);
    else {
      this.ensure(n);
      this.buf.set(src.subarray(at, at + n), this.pos);
      this.pos += n;
    }
  }

  /** `n` bytes of `src` from `at`, as they are (a fixed-width value already in this layout). */
  copy(src: Uint8Array, at: number, n: number): void {
    this.ensure(n);
    for (let i = 0; i < n; i++) this.buf[this.pos + i] = src[at + i]!;
    this.pos += n;
  }

  /**
   * The 16 lowercase hex digits of the little-endian int64 at `src[at]` plus 2^63 (a row header's
   * order key), from its two 32-bit halves: no bigint on the way.
   */
  biasedHex64(src: Uint8Array, at: number): void {
    this.ensure(16);
    const hi =
      ((src[at + 4]! | (src[at + 5]! << 8) | (src[at + 6]! << 16) | (src[at + 7]! << 24)) ^ 0x80000000) >>> 0;
    const lo = (src[at]! | (src[at + 1]! << 8) | (src[at + 2]! << 16) | (src[at + 3]! << 24)) >>> 0;
    const buf = this.buf;
    const p = this.pos;
    for (let i = 7; i >= 0; i--) {
      buf[p + 7 - i] = HEX_CODES[(hi >>> (4 * i)) & 15]!;
      buf[p + 15 - i] = HEX_CODES[(lo >>> (4 * i)) & 15]!;
    }
    this.pos += 16;
  }

  /** A copy of what was written since the last reset. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }

  /** What was written since the last reset, without a copy: valid until the next write. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

/** Bytes of a BLOB as DuckDB returns them (`{ bytes }`) or as given by a caller. */
function bytesOf(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return (value as { bytes: Uint8Array }).bytes;
}

/** Items of a list as DuckDB returns them (`{ items }`) or as given by a caller. */
function itemsOf(value: unknown): readonly unknown[] {
  if (Array.isArray(value)) return value;
  return (value as { items: readonly unknown[] }).items;
}

function writeScalar(w: ByteWriter, type: ScalarType, value: unknown): void {
  switch (type) {
    case 'int32':
      w.i32(value as number);
      return;
    case 'int64':
      w.i64(value as bigint);
      return;
    case 'float32':
      w.f32(value as number);
      return;
    case 'float64':
      w.f64(value as number);
      return;
    case 'string':
      w.utf8(value as string);
      return;
    case 'bool':
      w.u8(value ? 1 : 0);
      return;
    case 'bytes':
      w.bytes(bytesOf(value));
      return;
    case 'timestamp':
      w.i64(value as bigint);
      return;
  }
}

/**
 * Appends one value of `type`. Expects the canonical form: int64 and timestamp (µs) as bigint,
 * bytes as Uint8Array, lists as arrays; null/undefined for null.
 */
export function writeValue(w: ByteWriter, type: ValueType, value: unknown): void {
  if (value === null || value === undefined) {
    w.u8(0);
    return;
  }
  w.u8(1);
  const element = listElementType(type);
  if (!element) {
    writeScalar(w, type as ScalarType, value);
    return;
  }
  const items = itemsOf(value);
  w.varint(items.length);
  for (const item of items) {
    if (item === null || item === undefined) w.u8(0);
    else {
      w.u8(1);
      writeScalar(w, element, item);
    }
  }
}

/**
 * Reads values back. One reader serves many values (`reset`), so decoding allocates only the values
 * themselves; every read is bounds-checked so a corrupt value fails instead of misreading.
 */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  reset(buf: Buffer, start: number): void {
    this.buf = buf;
    this.pos = start;
  }

  get done(): boolean {
    return this.pos === this.buf.length;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Offset of the next `n` bytes, which are then consumed. */
  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw new ValueDecodeError('value is truncated');
    this.pos = at + n;
    return at;
  }

  /** Moves past `n` bytes without reading them. */
  skip(n: number): void {
    this.take(n);
  }

  u8(): number {
    if (this.pos >= this.buf.length) throw new ValueDecodeError('value is truncated');
    return this.buf[this.pos++]!;
  }

  /** A presence byte: whether a value follows. */
  present(): boolean {
    const p = this.u8();
    if (p === 1) return true;
    if (p === 0) return false;
    throw new ValueDecodeError('bad presence byte');
  }

  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.u8();
      result += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return result;
    }
    throw new ValueDecodeError('bad length');
  }

  i32(): number {
    return this.buf.readInt32LE(this.take(4));
  }

  i64(): bigint {
    return this.buf.readBigInt64LE(this.take(8));
  }

  f32(): number {
    return this.buf.readFloatLE(this.take(4));
  }

  f64(): number {
    return this.buf.readDoubleLE(this.take(8));
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new ValueDecodeError('bad bool');
    return b === 1;
  }

  utf8(): string {
    const n = this.varint();
    const at = this.take(n);
    return this.buf.toString('utf8', at, at + n);
  }

  bytes(): Uint8Array {
    const n = this.varint();
    const at = this.take(n);
    // A copy: the reply buffer may share memory with the rest of the answer.
    return new Uint8Array(this.buf.subarray(at, at + n));
  }

  /** A timestamp (int64 µs) as a Date of its millisecond, rounding toward the past. */
  date(): Date {
    const at = this.take(8);
    // Two 32-bit halves are exact and avoid BigInt; past 2^53 µs (year ±285k) fall back to it.
    const hi = this.buf.readInt32LE(at + 4);
    if (hi > -0x200000 && hi < 0x200000) {
      const micros = hi * 0x1_0000_0000 + this.buf.readUInt32LE(at);
      const under = ((micros % 1000) + 1000) % 1000;
      return new Date((micros - under) / 1000);
    }
    const micros = this.buf.readBigInt64LE(at);
    return new Date(Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0));
  }
}

/** Reads one value (presence byte included) as the read API returns it. */
export type ValueReader = (r: ByteReader) => unknown;

const NULLABLE_READERS: Record<ScalarType, ValueReader> = {
  int32: (r) => (r.present() ? r.i32() : null),
  int64: (r) => (r.present() ? r.i64() : null),
  float32: (r) => (r.present() ? r.f32() : null),
  float64: (r) => (r.present() ? r.f64() : null),
  string: (r) => (r.present() ? r.utf8() : null),
  bool: (r) => (r.present() ? r.bool() : null),
  bytes: (r) => (r.present() ? r.bytes() : null),
  timestamp: (r) => (r.present() ? r.date() : null),
};

/**
 * The reader of values of `type`, chosen once per type so decoding a row makes no type dispatch
 * per value: ints and floats as numbers, int64 as bigint, bytes as Uint8Array, timestamps as Date.
 */
export function valueReader(type: ValueType): ValueReader {
  return readerOf(NULLABLE_READERS, type);
}

/** Readers that keep timestamps as int64 µs (bigint), the canonical form writes take. */
const CANONICAL_READERS: Record<ScalarType, ValueReader> = {
  ...NULLABLE_READERS,
  timestamp: (r) => (r.present() ? r.i64() : null),
};

/** The reader of values of `type` in canonical form: as `valueReader`, but timestamps as bigint µs. */
export function canonicalValueReader(type: ValueType): ValueReader {
  return readerOf(CANONICAL_READERS, type);
}

function readerOf(readers: Record<ScalarType, ValueReader>, type: ValueType): ValueReader {
  const element = listElementType(type);
  if (!element) return readers[type as ScalarType];
  const item = readers[element];
  return (r) => {
    if (!r.present()) return null;
    const n = r.varint();
    // Each item takes at least its presence byte: a larger count is corrupt, not a huge list.
    if (n > r.remaining) throw new ValueDecodeError('bad list length');
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = item(r);
    return out;
  };
}
