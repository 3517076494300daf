import {
  type DuckDBDataChunk,
  type DuckDBListType,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBVector,
} from '@duckdb/node-api';
import {
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  List,
  makeBuilder,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from 'apache-arrow';

/** The Arrow type a DuckDB column becomes; anything without a natural Arrow type becomes text. */
export function arrowTypeOf(type: DuckDBType): DataType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new Bool();
    case DuckDBTypeId.TINYINT:
      return new Int8();
    case DuckDBTypeId.SMALLINT:
      return new Int16();
    case DuckDBTypeId.INTEGER:
      return new Int32();
    case DuckDBTypeId.BIGINT:
      return new Int64();
    case DuckDBTypeId.UTINYINT:
      return new Uint8();
    case DuckDBTypeId.USMALLINT:
      return new Uint16();
    case DuckDBTypeId.UINTEGER:
      return new Uint32();
    case DuckDBTypeId.UBIGINT:
      return new Uint64();
    case DuckDBTypeId.FLOAT:
      return new Float32();
    case DuckDBTypeId.DOUBLE:
      return new Float64();
    case DuckDBTypeId.TIMESTAMP:
      return new TimestampMicrosecond();
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new TimestampMicrosecond('UTC');
    case DuckDBTypeId.DATE:
      return new DateDay();
    case DuckDBTypeId.BLOB:
      return new Binary();
    case DuckDBTypeId.LIST:
      return new List(new Field('item', arrowTypeOf((type as DuckDBListType).valueType), true));
    default:
      return new Utf8();
  }
}

/** An Arrow schema for a DuckDB result's columns. */
export function arrowSchemaOf(names: readonly string[], types: readonly DuckDBType[]): Schema {
  return new Schema(names.map((name, i) => new Field(name, arrowTypeOf(types[i] as DuckDBType), true)));
}

type NumericArray =
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array
  | Float32Array
  | Float64Array;

/**
 * The vectors of @duckdb/node-api keep a typed-array view of the chunk's data and the validity
 * words. Reading those directly turns a fixed-width column into an Arrow buffer with one copy
 * instead of one JS value per row; the shape is checked at run time and anything unexpected falls
 * back to the public per-item API.
 */
interface RawFixedVector {
  items?: unknown;
  validity?: { data?: BigUint64Array | null };
}

const BITS = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let b = i; b > 0; b >>= 1) n += b & 1;
  return n;
});

function validityBitmap(
  words: BigUint64Array | null | undefined,
  length: number,
): { bitmap?: Uint8Array; nulls: number } {
  if (!words) return { nulls: 0 };
  const bytes = Math.ceil(length / 8);
  const bitmap = new Uint8Array(words.buffer, words.byteOffset, bytes).slice();
  // Bits past the end must be zero, or they would count as valid values that do not exist.
  const tail = length % 8;
  if (tail !== 0) bitmap[bytes - 1] = (bitmap[bytes - 1] ?? 0) & ((1 << tail) - 1);
  let valid = 0;
  for (let i = 0; i < bytes; i++) valid += BITS[bitmap[i] ?? 0] ?? 0;
  return { bitmap, nulls: length - valid };
}

function isNumericArray(value: unknown): value is NumericArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

function fixedWidthData(vector: DuckDBVector, type: DataType, length: number): Data | undefined {
  const raw = vector as unknown as RawFixedVector;
  const items = raw.items;
  if (!isNumericArray(items) || items.length < length) return undefined;
  const expected = new (type.ArrayType as new (n: number) => NumericArray)(0);
  if (Object.getPrototypeOf(expected) !== Object.getPrototypeOf(items)) return undefined;
  const { bitmap, nulls } = validityBitmap(raw.validity?.data, length);
  return makeData({
    type,
    length,
    nullCount: nulls,
    data: items.slice(0, length),
    ...(bitmap ? { nullBitmap: bitmap } : {}),
  } as Parameters<typeof makeData>[0]) as Data;
}

/** A DuckDB value as the JS value an Arrow builder of `type` accepts. */
function builderValue(value: DuckDBValue, type: DataType): unknown {
  if (value === null) return null;
  if (type instanceof List) {
    const items = (value as { items?: readonly DuckDBValue[] }).items ?? [];
    return items.map((v) => builderValue(v, type.children[0]?.type as DataType));
  }
  if (type instanceof TimestampMicrosecond) return Number((value as { micros: bigint }).micros) / 1000;
  if (type instanceof DateDay) return new Date((value as { days: number }).days * 86_400_000);
  if (type instanceof Binary) return (value as { bytes: Uint8Array }).bytes;
  if (type instanceof Utf8) return typeof value === 'string' ? value : String(value);
  return value;
}

function builtData(vector: DuckDBVector, type: DataType, length: number): Data {
  const builder = makeBuilder({ type, nullValues: [null, undefined] });
  for (let i = 0; i < length; i++) builder.append(builderValue(vector.getItem(i), type));
  return builder.finish().flush() as Data;
}

/** Converts one DuckDB chunk into an Arrow record batch of `schema` (from `arrowSchemaOf`). */
export function recordBatchOfChunk(chunk: DuckDBDataChunk, schema: Schema): RecordBatch {
  const length = chunk.rowCount;
  const children = schema.fields.map((field, i) => {
    const vector = chunk.getColumnVector(i);
    const fixed =
      field.type instanceof Bool ||
      field.type instanceof Utf8 ||
      field.type instanceof Binary ||
      field.type instanceof List
        ? undefined
        : fixedWidthData(vector, field.type, length);
    return fixed ?? builtData(vector, field.type, length);
  });
  const data = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children });
  return new RecordBatch(schema, data);
}
