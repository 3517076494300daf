import { z } from 'zod';

/** The scalar types a feature or join key may have. */
export const SCALAR_TYPES = [
  'int32',
  'int64',
  'float32',
  'float64',
  'string',
  'bool',
  'bytes',
  'timestamp',
] as const;
export type ScalarType = (typeof SCALAR_TYPES)[number];

/** A value type: a scalar, or `list<scalar>`. */
export type ValueType = ScalarType | `list<${ScalarType}>`;

export const VALUE_TYPES: readonly ValueType[] = [
  ...SCALAR_TYPES,
  ...SCALAR_TYPES.map((t) => `list<${t}>` as const),
];

export const valueTypeSchema = z
  .enum(VALUE_TYPES as [ValueType, ...ValueType[]])
  .meta({ description: 'A scalar type, or list<scalar>.' });

/** The element type of a list type, or undefined for a scalar. */
export function listElementType(type: ValueType): ScalarType | undefined {
  const m = /^list<(.+)>$/.exec(type);
  return m ? (m[1] as ScalarType) : undefined;
}

/** The DuckDB type Trove stores a value type as in the offline store. */
export function duckdbTypeOf(type: ValueType): string {
  const element = listElementType(type);
  if (element) return `${duckdbTypeOf(element)}[]`;
  switch (type as ScalarType) {
    case 'int32':
      return 'INTEGER';
    case 'int64':
      return 'BIGINT';
    case 'float32':
      return 'FLOAT';
    case 'float64':
      return 'DOUBLE';
    case 'string':
      return 'VARCHAR';
    case 'bool':
      return 'BOOLEAN';
    case 'bytes':
      return 'BLOB';
    case 'timestamp':
      return 'TIMESTAMPTZ';
  }
}

const INT32_SOURCES = ['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT'];
const INT64_SOURCES = [...INT32_SOURCES, 'BIGINT', 'UINTEGER'];
const FLOAT_SOURCES = ['FLOAT', ...INT64_SOURCES];
const TIMESTAMP_SOURCES = [
  'TIMESTAMP',
  'TIMESTAMP WITH TIME ZONE',
  'TIMESTAMPTZ',
  'TIMESTAMP_NS',
  'TIMESTAMP_MS',
  'TIMESTAMP_S',
  'DATE',
];

/**
 * Whether a source column of DuckDB type `columnType` can be stored as `type` without losing
 * information. Widening casts (int32 → int64, float32 → float64) are allowed; narrowing ones are not.
 */
export function isCompatibleColumnType(columnType: string, type: ValueType): boolean {
  const upper = columnType.toUpperCase().trim();
  const element = listElementType(type);
  if (element) {
    const m = /^(.*)\[\]$/.exec(upper);
    return m !== null && isCompatibleColumnType(m[1] ?? '', element);
  }
  if (upper.startsWith('DECIMAL')) return type === 'float64';
  switch (type as ScalarType) {
    case 'int32':
      return INT32_SOURCES.includes(upper);
    case 'int64':
      return INT64_SOURCES.includes(upper);
    case 'float32':
      return upper === 'FLOAT';
    case 'float64':
      return upper === 'DOUBLE' || FLOAT_SOURCES.includes(upper);
    case 'string':
      return upper === 'VARCHAR';
    case 'bool':
      return upper === 'BOOLEAN';
    case 'bytes':
      return upper === 'BLOB';
    case 'timestamp':
      return TIMESTAMP_SOURCES.includes(upper);
  }
}

/** Whether a DuckDB column type can serve as an event or created timestamp. */
export function isTimestampColumnType(columnType: string): boolean {
  return TIMESTAMP_SOURCES.includes(columnType.toUpperCase().trim());
}

const SCALAR_OF_COLUMN: Record<string, ScalarType> = {
  TINYINT: 'int32',
  SMALLINT: 'int32',
  INTEGER: 'int32',
  UTINYINT: 'int32',
  USMALLINT: 'int32',
  BIGINT: 'int64',
  UINTEGER: 'int64',
  FLOAT: 'float32',
  DOUBLE: 'float64',
  VARCHAR: 'string',
  BOOLEAN: 'bool',
  BLOB: 'bytes',
};

/**
 * The value type a source column of DuckDB type `columnType` is stored as, for views that take a
 * column's type from the source instead of declaring it (aggregation views); undefined when no
 * value type holds it without loss (UBIGINT, HUGEINT, structs, nested lists, ...).
 */
export function valueTypeOfColumn(columnType: string): ValueType | undefined {
  const upper = columnType.toUpperCase().trim();
  const list = /^(.*)\[\]$/.exec(upper);
  if (list) {
    const element = valueTypeOfColumn(list[1] ?? '');
    return element === undefined || listElementType(element) !== undefined
      ? undefined
      : `list<${element as ScalarType}>`;
  }
  if (upper.startsWith('DECIMAL')) return 'float64';
  if (TIMESTAMP_SOURCES.includes(upper)) return 'timestamp';
  return SCALAR_OF_COLUMN[upper];
}
