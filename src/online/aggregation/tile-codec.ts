/**
 * Binary form of tile states and raw events, read straight from Redis replies on every online read
 * (JSON parsing was most of a read's cost), and compact, so a sparse tile stays under Redis's
 * 64-byte listpack limit and an entity's hash stays a listpack, cheap to store and to return.
 * Little endian, types from the view's column plans:
 *
 * - state: rows varint, newest event µs f64, then per column its non-null count varint and, when
 *   it is above 0, the parts its plan keeps: sum (integers: decimal text, exact beyond int64; floats:
 *   f64), Welford n, mean, m2 (3 × f64), min, max (values), first, last (ordered values), last n
 *   (varint count, ordered values);
 * - ordered value: a tag (0 none, 1 without created time, 2 with), event µs f64, created µs f64
 *   (tag 2 only), value;
 * - value: as value-codec.ts writes it, timestamps as int64 µs;
 * - raw events: varint count, then per event: event µs f64, created µs f64 (NaN for none), each
 *   column's value.
 */
import { listElementType, type ValueType } from '../../definitions/value-type.ts';
import {
  ByteReader,
  ByteWriter,
  canonicalValueReader,
  type ValueReader,
  writeValue,
} from '../value-codec.ts';
import type { AggregationEvent } from './tile-builder.ts';
import {
  addEvent,
  type ColumnPlan,
  type ColumnState,
  emptyState,
  mergeColumn,
  type OrderedValue,
  type TileState,
} from './tile-state.ts';

/** Reads one value in the canonical form states hold (timestamps as bigint µs, unlike reads). */
type CanonicalReader = ValueReader;

const readers = new Map<ValueType, CanonicalReader>();

/** `canonicalValueReader`, chosen once per type. */
function canonicalReader(type: ValueType): CanonicalReader {
  let reader = readers.get(type);
  if (!reader) {
    reader = canonicalValueReader(type);
    readers.set(type, reader);
  }
  return reader;
}

const writer = new ByteWriter();
const reader = new ByteReader();

function writeOrdered(w: ByteWriter, type: ValueType, o: OrderedValue | null): void {
  if (o === null) {
    w.u8(0);
    return;
  }
  w.u8(o[1] === null ? 1 : 2);
  w.f64(o[0]);
  if (o[1] !== null) w.f64(o[1]);
  writeValue(w, type, o[2]);
}

function readOrdered(r: ByteReader, read: CanonicalReader): OrderedValue | null {
  const tag = r.u8();
  if (tag === 0) return null;
  const ts = r.f64();
  const created = tag === 2 ? r.f64() : null;
  return [ts, created, read(r)];
}

export function encodeState(plans: readonly ColumnPlan[], state: TileState): Buffer {
  const w = writer;
  w.reset();
  w.varint(state.rows);
  w.f64(state.maxTs);
  for (let c = 0; c < plans.length; c++) {
    const p = plans[c]!;
    const s = state.columns[c]!;
    w.varint(s.count);
    if (s.count === 0) continue;
    if (p.sum) {
      if (p.integer) w.utf8((s.sum as bigint).toString());
      else w.f64(s.sum as number);
    }
    if (p.moments) {
      w.f64(s.n);
      w.f64(s.mean);
      w.f64(s.m2);
    }
    if (p.min) writeValue(w, p.type, s.min);
    if (p.max) writeValue(w, p.type, s.max);
    if (p.first) writeOrdered(w, p.type, s.first);
    if (p.last) writeOrdered(w, p.type, s.last);
    if (p.lastN > 0) {
      w.varint(s.lastN.length);
      for (const o of s.lastN) writeOrdered(w, p.type, o);
    }
  }
  return w.finish();
}

const FIXED_WIDTH: Partial<Record<ValueType, number>> = {
  int32: 4,
  int64: 8,
  float32: 4,
  float64: 8,
  bool: 1,
  timestamp: 8,
};

/** Whether `skipValue` can move past values of `type` without decoding them. */
const skippable = (type: ValueType): boolean => listElementType(type) === undefined;

/** Moves past one scalar value (presence byte included) without decoding it. */
function skipValue(r: ByteReader, type: ValueType): void {
  if (!r.present()) return;
  const width = FIXED_WIDTH[type];
  r.skip(width ?? r.varint());
}

/**
 * Reads an ordered value that matters only if it orders before (`sign` -1) or after (+1) `held`:
 * one that loses on its times alone is skipped without decoding its value.
 */
function readOrderedAgainst(
  r: ByteReader,
  type: ValueType,
  read: CanonicalReader,
  held: OrderedValue | null,
  sign: number,
): OrderedValue | null {
  const tag = r.u8();
  if (tag === 0) return null;
  const ts = r.f64();
  const created = tag === 2 ? r.f64() : null;
  if (held !== null) {
    let order = ts === held[0] ? 0 : ts < held[0] ? -1 : 1;
    if (order === 0 && created !== held[1])
      order = created === null ? -1 : held[1] === null ? 1 : created < held[1] ? -1 : 1;
    if (order === -sign && skippable(type)) {
      skipValue(r, type);
      return null;
    }
  }
  return [ts, created, read(r)];
}

/**
 * Reads one column's parts into `s` (reset first), after its count. With `into`, the state the
 * column is about to be merged into, first and last values that cannot win are not decoded.
 */
function readColumn(r: ByteReader, p: ColumnPlan, s: ColumnState, into?: ColumnState): void {
  const read = canonicalReader(p.type);
  if (p.sum) s.sum = p.integer ? BigInt(r.utf8()) : r.f64();
  if (p.moments) {
    s.n = r.f64();
    s.mean = r.f64();
    s.m2 = r.f64();
  }
  if (p.min) s.min = read(r);
  if (p.max) s.max = read(r);
  if (p.first) s.first = readOrderedAgainst(r, p.type, read, into?.first ?? null, -1);
  if (p.last) s.last = readOrderedAgainst(r, p.type, read, into?.last ?? null, 1);
  if (p.lastN > 0) {
    const n = r.varint();
    for (let i = 0; i < n; i++) s.lastN.push(readOrdered(r, read)!);
  }
}

/** One reusable column state per view's plans, to merge from bytes without a state per tile. */
const scratches = new WeakMap<readonly ColumnPlan[], TileState>();

/** Merges `encodeState`'s bytes into `into`, reading each column into a reused scratch state. */
export function mergeBytes(plans: readonly ColumnPlan[], into: TileState, bytes: Buffer): void {
  let scratch = scratches.get(plans);
  if (!scratch) {
    scratch = emptyState(plans);
    scratches.set(plans, scratch);
  }
  const r = reader;
  r.reset(bytes, 0);
  into.rows += r.varint();
  const maxTs = r.f64();
  if (maxTs > into.maxTs) into.maxTs = maxTs;
  for (let c = 0; c < plans.length; c++) {
    const count = r.varint();
    if (count === 0) continue;
    const p = plans[c]!;
    const s = scratch.columns[c]!;
    s.count = count;
    s.first = null;
    s.last = null;
    s.lastN.length = 0;
    readColumn(r, p, s, into.columns[c]);
    mergeColumn(p, into.columns[c]!, s);
  }
}

/** The newest event time (µs) of `encodeState`'s bytes, read without decoding the rest. */
export function newestEventOf(bytes: Buffer): number {
  const r = reader;
  r.reset(bytes, 0);
  r.varint();
  return r.f64();
}

export function encodeRawEvents(plans: readonly ColumnPlan[], events: readonly AggregationEvent[]): Buffer {
  const w = writer;
  w.reset();
  w.varint(events.length);
  for (const e of events) {
    w.f64(e.ts);
    w.f64(e.created ?? Number.NaN);
    for (let c = 0; c < plans.length; c++) writeValue(w, plans[c]!.type, e.values[c] ?? null);
  }
  return w.finish();
}

/** Folds the events of `encodeRawEvents`'s bytes at or before `t` (µs) into `state`. */
export function addRawEvents(plans: readonly ColumnPlan[], state: TileState, bytes: Buffer, t: number): void {
  const r = reader;
  r.reset(bytes, 0);
  const n = r.varint();
  const values: unknown[] = new Array(plans.length);
  for (let i = 0; i < n; i++) {
    const ts = r.f64();
    const created = r.f64();
    for (let c = 0; c < plans.length; c++) values[c] = canonicalReader(plans[c]!.type)(r);
    if (ts <= t) addEvent(plans, state, ts, Number.isNaN(created) ? null : created, values);
  }
}
