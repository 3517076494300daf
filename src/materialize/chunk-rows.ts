/**
 * The rows of one DuckDB chunk of the newest-rows query (join keys, event µs, created µs, features)
 * turned into online values and entity texts. Fixed-width columns are read as bytes and copied into
 * the value as they are (the value layout of int32/int64/float32/float64/timestamp is the same
 * little-endian bytes DuckDB holds), with no JS value per cell; other columns, or vectors whose
 * shape is not the expected one, go through the public per-item API and the general encoder.
 */
import type { DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import duckdbBindings from '@duckdb/node-bindings';
import type { ValueType } from '../definitions/value-type.ts';
import { type RawColumn, rawColumn, rawValid } from '../duckdb/raw-vector.ts';
import { rowHeader, writeRowHeaderBytes } from '../online/row-header.ts';
import { type ByteWriter, writeValue } from '../online/value-codec.ts';
import type { ViewCodec } from '../online/view-codec.ts';

type CellWriter = (w: ByteWriter, row: number) => void;

/** Bytes per cell of the types whose online layout is DuckDB's own; 0 for the rest. */
function fixedWidth(type: ValueType): number {
  switch (type) {
    case 'int64':
    case 'timestamp':
    case 'float64':
      return 8;
    case 'int32':
    case 'float32':
      return 4;
    case 'bool':
      return 1;
    default:
      return 0;
  }
}

/** DuckDB's string cells: 16 bytes each, the length first, then ≤ 12 bytes inline or a pointer. */
const STRING_CELL = 16;
const INLINE_STRING = 12;

/**
 * Strings of a chunk that lie one after the other in memory (as a Parquet page's do) are read in
 * one copy: each starts less than this many bytes past the end of the one before. Every byte read
 * then lies between two bytes of strings less than a page apart, so on memory DuckDB has mapped.
 */
const RUN_GAP = 16;
/** Longest run read at once. */
const MAX_RUN = 1 << 24;

/**
 * Where the long (not inline) strings of a VARCHAR column's chunk are: runs of them copied out of
 * DuckDB's memory one call each (a call per string costs about 1 µs), and each row's run and
 * offset in it.
 */
interface StringHeap {
  runs: Uint8Array[];
  run: Int32Array;
  offset: Int32Array;
}

function stringHeap(raw: RawColumn, view: DataView, rows: number): StringHeap {
  const heap: StringHeap = { runs: [], run: new Int32Array(rows), offset: new Int32Array(rows) };
  let first = -1;
  let start = 0;
  let end = 0;
  const close = () => {
    if (first < 0) return;
    heap.runs.push(
      duckdbBindings.get_data_from_pointer(
        raw.bytes.buffer as ArrayBuffer,
        raw.bytes.byteOffset + first * STRING_CELL + 8,
        end - start,
      ),
    );
  };
  for (let row = 0; row < rows; row++) {
    const at = row * STRING_CELL;
    const length = view.getUint32(at, true);
    if (length <= INLINE_STRING || !rawValid(raw, row)) continue;
    // User-space addresses are below 2^53: exact as numbers.
    const pointer = view.getUint32(at + 12, true) * 0x1_0000_0000 + view.getUint32(at + 8, true);
    const gap = pointer - end;
    if (first < 0 || gap < 0 || gap >= RUN_GAP || pointer + length - start > MAX_RUN) {
      close();
      first = row;
      start = pointer;
    }
    end = pointer + length;
    heap.run[row] = heap.runs.length;
    heap.offset[row] = pointer - start;
  }
  close();
  return heap;
}

/**
 * A VARCHAR column written as the UTF-8 bytes DuckDB holds, which is what the online value keeps:
 * no JS string per cell decoded only to be encoded back.
 */
function stringCellWriter(vector: DuckDBVector, rows: number): CellWriter | undefined {
  const raw = rawColumn(vector, STRING_CELL, rows);
  if (!raw) return undefined;
  const bytes = raw.bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const heap = stringHeap(raw, view, rows);
  return (w, row) => {
    if (!rawValid(raw, row)) {
      w.u8(0);
      return;
    }
    w.u8(1);
    const at = row * STRING_CELL;
    const length = view.getUint32(at, true);
    if (length <= INLINE_STRING) w.bytesAt(bytes, at + 4, length);
    else w.bytesAt(heap.runs[heap.run[row]!]!, heap.offset[row]!, length);
  };
}

function cellWriter(vector: DuckDBVector, type: ValueType, rows: number): CellWriter {
  if (type === 'string') {
    const strings = stringCellWriter(vector, rows);
    if (strings) return strings;
  }
  const width = fixedWidth(type);
  const raw = width > 0 ? rawColumn(vector, width, rows) : undefined;
  if (!raw) return (w, row) => writeValue(w, type, vector.getItem(row));
  const bytes = raw.bytes;
  if (type === 'bool')
    return (w, row) => {
      if (!rawValid(raw, row)) w.u8(0);
      else {
        w.u8(1);
        w.u8(bytes[row] ? 1 : 0);
      }
    };
  return (w, row) => {
    if (!rawValid(raw, row)) w.u8(0);
    else {
      w.u8(1);
      w.copy(bytes, row * width, width);
    }
  };
}

/** A little-endian int64 as a JS number (exact below 2^53, which every µs timestamp is). */
function int64Number(bytes: Uint8Array, at: number): number {
  const lo = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  const hi = bytes[at + 4]! | (bytes[at + 5]! << 8) | (bytes[at + 6]! << 16) | (bytes[at + 7]! << 24);
  return hi * 0x1_0000_0000 + lo;
}

export class ChunkRows {
  readonly rowCount: number;
  private readonly keyVectors: DuckDBVector[];
  /** Raw bytes of a single int64 join key, when that is the key. */
  private readonly intKey: RawColumn | undefined;
  private readonly eventVector: DuckDBVector;
  private readonly createdVector: DuckDBVector;
  private readonly event: RawColumn | undefined;
  private readonly created: RawColumn | undefined;
  private readonly cells: CellWriter[];
  private readonly keyValues: unknown[];

  constructor(
    chunk: DuckDBDataChunk,
    private readonly codec: ViewCodec,
  ) {
    const rows = chunk.rowCount;
    this.rowCount = rows;
    const keyCount = codec.joinKeys.length;
    this.keyVectors = [];
    for (let k = 0; k < keyCount; k++) this.keyVectors.push(chunk.getColumnVector(k));
    this.keyValues = new Array(keyCount);
    this.intKey =
      keyCount === 1 && codec.joinKeys[0]!.type === 'int64'
        ? rawColumn(this.keyVectors[0]!, 8, rows)
        : undefined;
    this.eventVector = chunk.getColumnVector(keyCount);
    this.createdVector = chunk.getColumnVector(keyCount + 1);
    this.event = rawColumn(this.eventVector, 8, rows);
    this.created = rawColumn(this.createdVector, 8, rows);
    const features = codec.view.features;
    this.cells = features.map((f, i) => cellWriter(chunk.getColumnVector(keyCount + 2 + i), f.type, rows));
  }

  /** Event time of a row in µs. */
  eventMicros(row: number): number {
    return this.event
      ? int64Number(this.event.bytes, row * 8)
      : Number(this.eventVector.getItem(row) as bigint);
  }

  /** The entity text of a row's join keys. */
  entityText(row: number): string {
    const values = this.keyValues;
    const intKey = this.intKey;
    if (intKey && rawValid(intKey, row)) {
      const n = int64Number(intKey.bytes, row * 8);
      // Beyond 2^53 a number would round: take the exact bigint.
      values[0] = Number.isSafeInteger(n) ? n : this.keyVectors[0]!.getItem(row);
    } else for (let k = 0; k < values.length; k++) values[k] = this.keyVectors[k]!.getItem(row);
    return this.codec.entityKeys.text(values);
  }

  /** Encodes a row's online value into `w` (reset first); `w.view()` then holds it. */
  encode(row: number, w: ByteWriter): void {
    w.reset();
    const event = this.event;
    const created = this.created;
    if (event && created) {
      const createdValid = rawValid(created, row);
      writeRowHeaderBytes(w, event.bytes, row * 8, createdValid ? created.bytes : null, row * 8);
    } else {
      w.latin1(
        rowHeader(this.eventVector.getItem(row) as bigint, this.createdVector.getItem(row) as bigint | null),
      );
    }
    const cells = this.cells;
    for (let i = 0; i < cells.length; i++) cells[i]!(w, row);
  }
}
