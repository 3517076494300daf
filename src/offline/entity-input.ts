import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DOUBLE,
  DuckDBBlobValue,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  type DuckDBValue,
  FLOAT,
  INTEGER,
  TIMESTAMP,
  TIMESTAMPTZ,
  VARCHAR,
} from '@duckdb/node-api';
import {
  Binary,
  Bool,
  type DataType,
  DateDay,
  DateMillisecond,
  Dictionary,
  Float,
  Int,
  LargeUtf8,
  type Table,
  Timestamp,
  Utf8,
} from 'apache-arrow';
import { quoteIdentifier, quoteString } from '../duckdb/sql-literals.ts';
import { checkUserQuery } from '../duckdb/user-query.ts';
import { TroveError } from '../errors.ts';
import { showName } from '../show-value.ts';

/**
 * An entity table: a Parquet or CSV file, a SQL query over the offline store (views visible by
 * name), an Arrow table, plain row objects, or columns (name → values, as JSON bodies carry them).
 */
export type EntityInput =
  | string
  | { path: string }
  | { sql: string }
  | { columns: Readonly<Record<string, readonly unknown[]>> }
  | Table
  | readonly Readonly<Record<string, unknown>>[];

/**
 * Name of the relation the entity rows are visible under: the user's columns, then `ENTITY_ROW`,
 * each row's position in the input (0-based), by which the output is ordered.
 */
export const ENTITY_TABLE = '__trove_entity_input';
export const ENTITY_ROW = '__trove_row';
/** Where rows loaded from anything but a Parquet file are kept; its rowid is the input order. */
const LOADED_TABLE = '__trove_entity_rows';

interface InputColumn {
  name: string;
  type: DuckDBType;
  values: DuckDBValue[];
}

function badInput(message: string): TroveError {
  return new TroveError('INVALID_ENTITY_TABLE', message);
}

function isArrowTable(value: unknown): value is Table {
  return (
    typeof value === 'object' &&
    value !== null &&
    'schema' in value &&
    'batches' in value &&
    typeof (value as Table).getChildAt === 'function'
  );
}

function arrowColumn(table: Table, index: number): InputColumn {
  const field = table.schema.fields[index]!;
  const vector = table.getChildAt(index)!;
  const t: DataType = field.type;
  const values: DuckDBValue[] = new Array(table.numRows);
  const each = (convert: (v: unknown) => DuckDBValue) => {
    for (let i = 0; i < table.numRows; i++) {
      const v: unknown = vector.get(i);
      values[i] = v === null || v === undefined ? null : convert(v);
    }
  };
  let type: DuckDBType;
  if (t instanceof Int) {
    type = t.bitWidth === 64 || (!t.isSigned && t.bitWidth === 32) ? BIGINT : INTEGER;
    each((v) => (type === BIGINT ? BigInt(v as number | bigint) : Number(v)));
  } else if (t instanceof Float) {
    type = t.precision === 1 ? FLOAT : DOUBLE;
    each((v) => Number(v));
  } else if (t instanceof Bool) {
    type = BOOLEAN;
    each((v) => Boolean(v));
  } else if (t instanceof Timestamp) {
    // Arrow JS reads timestamps as fractional milliseconds; microseconds survive the rounding.
    type = t.timezone ? TIMESTAMPTZ : TIMESTAMP;
    each((v) => {
      const micros = BigInt(Math.round((v as number) * 1000));
      return t.timezone ? new DuckDBTimestampTZValue(micros) : new DuckDBTimestampValue(micros);
    });
  } else if (t instanceof DateDay || t instanceof DateMillisecond) {
    type = DATE;
    each((v) => new DuckDBDateValue(Math.floor((v instanceof Date ? v.getTime() : Number(v)) / 86_400_000)));
  } else if (t instanceof Binary) {
    type = BLOB;
    each((v) => new DuckDBBlobValue(v as Uint8Array));
  } else if (t instanceof Utf8 || t instanceof LargeUtf8 || t instanceof Dictionary) {
    type = VARCHAR;
    each((v) => String(v));
  } else {
    throw badInput(`entity column ${showName(field.name)}: Arrow type ${String(t)} is not supported`);
  }
  return { name: field.name, type, values };
}

/** Types a column of plain JS values: the one DuckDB type every non-null value fits. */
function jsColumn(name: string, raw: readonly unknown[]): InputColumn {
  const kinds = new Set<string>();
  let fractional = false;
  for (const v of raw) {
    if (v === null || v === undefined) continue;
    if (v instanceof Date) kinds.add('date');
    else if (v instanceof Uint8Array) kinds.add('bytes');
    else kinds.add(typeof v);
    if (typeof v === 'number' && !Number.isSafeInteger(v)) fractional = true;
  }
  if (kinds.has('bigint') && kinds.has('number') && !fractional) kinds.delete('number');
  if (kinds.size > 1) {
    throw badInput(`entity column ${showName(name)} mixes value kinds (${[...kinds].join(', ')})`);
  }
  const kind = [...kinds][0] ?? 'string';
  const map = (f: (v: never) => DuckDBValue): DuckDBValue[] =>
    raw.map((v) => (v === null || v === undefined ? null : f(v as never)));
  switch (kind) {
    case 'bigint':
      return { name, type: BIGINT, values: map((v: bigint | number) => BigInt(v)) };
    case 'number':
      return fractional
        ? { name, type: DOUBLE, values: map((v: number) => v) }
        : { name, type: BIGINT, values: map((v: number) => BigInt(v)) };
    case 'string':
      return { name, type: VARCHAR, values: map((v: string) => v) };
    case 'boolean':
      return { name, type: BOOLEAN, values: map((v: boolean) => v) };
    case 'date':
      return {
        name,
        type: TIMESTAMPTZ,
        values: map((v: Date) => {
          if (Number.isNaN(v.getTime()))
            throw badInput(`entity column ${showName(name)} holds an invalid Date`);
          return new DuckDBTimestampTZValue(BigInt(v.getTime()) * 1000n);
        }),
      };
    case 'bytes':
      return { name, type: BLOB, values: map((v: Uint8Array) => new DuckDBBlobValue(v)) };
    default:
      throw badInput(`entity column ${showName(name)}: values of type ${kind} are not supported`);
  }
}

async function loadColumns(connection: DuckDBConnection, columns: InputColumn[]): Promise<void> {
  if (columns.length === 0) throw badInput('the entity table has no columns');
  // DuckDB's names are case-insensitive: `a` and `A` are the same column.
  const names = new Map<string, string>();
  for (const c of columns) {
    const other = names.get(c.name.toLowerCase());
    if (other !== undefined) {
      throw badInput(
        other === c.name
          ? `entity column ${showName(c.name)} appears twice`
          : `entity columns ${showName(other)} and ${showName(c.name)} differ only in case; column names are case-insensitive`,
      );
    }
    names.set(c.name.toLowerCase(), c.name);
  }
  const definitions = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type.toString()}`).join(', ');
  // The table holds nothing but the caller's columns and values: what DuckDB refuses here is theirs.
  try {
    await connection.run(`CREATE TABLE ${LOADED_TABLE} (${definitions})`);
    const rows = columns[0]?.values.length ?? 0;
    const types = columns.map((c) => c.type);
    const appender = await connection.createAppender(LOADED_TABLE);
    const size = 2048;
    for (let offset = 0; offset < rows; offset += size) {
      const n = Math.min(size, rows - offset);
      const chunk = DuckDBDataChunk.create(types, n);
      chunk.setColumns(columns.map((c) => c.values.slice(offset, offset + n)));
      appender.appendDataChunk(chunk);
    }
    appender.closeSync();
  } catch (err) {
    throw badInput(`the entity table cannot be loaded: ${(err as Error).message.split('\n')[0]}`);
  }
}

function isEntityFile(input: EntityInput): input is string | { path: string } {
  return typeof input === 'string' || (typeof input === 'object' && input !== null && 'path' in input);
}

/** The file an entity input names, resolved against `baseDir`; undefined for in-memory input and SQL. */
export function entityFilePath(input: EntityInput, baseDir: string = process.cwd()): string | undefined {
  return isEntityFile(input)
    ? path.resolve(baseDir, typeof input === 'string' ? input : input.path)
    : undefined;
}

async function checkFile(file: string): Promise<void> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw badInput(`entity file ${file} does not exist`);
}

/**
 * A Parquet entity file read where it lies, numbered by DuckDB's `file_row_number`, instead of
 * copied into a table first: a training dataset of a large entity file then streams from the file
 * as a hand-written query would. Files whose own columns would clash with the numbering are
 * loaded into a table like any other input (false).
 */
async function viewParquet(connection: DuckDBConnection, reader: string): Promise<boolean> {
  const described = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${reader}`);
  const names = described.getRowObjectsJS().map((r) => String(r.column_name));
  if (names.some((n) => n === 'file_row_number' || n.startsWith('__trove_'))) return false;
  const numbered = `${reader.slice(0, -1)}, file_row_number = true)`;
  await connection.run(
    `CREATE TEMP VIEW ${ENTITY_TABLE} AS SELECT * EXCLUDE (file_row_number), file_row_number AS ${ENTITY_ROW} FROM ${numbered}`,
  );
  return true;
}

/**
 * Makes an entity table visible to DuckDB as `ENTITY_TABLE` with its row order in `ENTITY_ROW`:
 * a Parquet file in place, anything else loaded into a table (insertion order is preserved, and
 * the table's rowid numbers rows in that order).
 */
export async function loadEntityInput(
  connection: DuckDBConnection,
  input: EntityInput,
  baseDir: string = process.cwd(),
): Promise<void> {
  if (await loadEntityRows(connection, input, baseDir)) return;
  await connection.run(
    `CREATE TEMP VIEW ${ENTITY_TABLE} AS SELECT *, rowid AS ${ENTITY_ROW} FROM ${LOADED_TABLE}`,
  );
}

/**
 * One shard of a larger entity table (distributed-historical/): the rows of a Parquet file that
 * pass `where`, which already carry `ENTITY_ROW`, their positions in the whole table, so the
 * shard's output can be put back in the whole table's order; `columns` and `ENTITY_ROW` are kept.
 */
export async function loadNumberedEntityFile(
  connection: DuckDBConnection,
  file: string,
  columns: readonly string[],
  where: string,
): Promise<void> {
  await checkFile(file);
  const select = [...columns.map(quoteIdentifier), ENTITY_ROW].join(', ');
  await connection.run(
    `CREATE TEMP VIEW ${ENTITY_TABLE} AS SELECT ${select} FROM read_parquet(${quoteString(file)}) WHERE ${where}`,
  );
}

/** Loads the rows into `LOADED_TABLE`; true when `ENTITY_TABLE` was made over a file instead. */
async function loadEntityRows(
  connection: DuckDBConnection,
  input: EntityInput,
  baseDir: string,
): Promise<boolean> {
  if (isEntityFile(input)) {
    const file = path.resolve(baseDir, typeof input === 'string' ? input : input.path);
    const ext = path.extname(file).toLowerCase();
    await checkFile(file);
    let reader: string;
    if (ext === '.parquet') reader = `read_parquet(${quoteString(file)})`;
    else if (ext === '.csv') reader = `read_csv(${quoteString(file)}, header = true, auto_detect = true)`;
    else throw badInput(`entity file ${file}: expected a .parquet or .csv file`);
    try {
      if (ext === '.parquet' && (await viewParquet(connection, reader))) return true;
      await connection.run(`CREATE TABLE ${LOADED_TABLE} AS SELECT * FROM ${reader}`);
    } catch (err) {
      throw badInput(`entity file ${file} cannot be read: ${(err as Error).message.split('\n')[0]}`);
    }
    return false;
  }
  if (isArrowTable(input)) {
    await loadColumns(
      connection,
      input.schema.fields.map((_, i) => arrowColumn(input, i)),
    );
    return false;
  }
  if (Array.isArray(input)) {
    const rows = input as readonly Readonly<Record<string, unknown>>[];
    const names: string[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      for (const k of Object.keys(row)) {
        if (!seen.has(k)) {
          seen.add(k);
          names.push(k);
        }
      }
    }
    await loadColumns(
      connection,
      names.map((n) =>
        jsColumn(
          n,
          rows.map((r) => r[n]),
        ),
      ),
    );
    return false;
  }
  if ('columns' in input) {
    const entries = Object.entries(input.columns);
    const lengths = new Set(entries.map(([, v]) => v.length));
    if (lengths.size > 1) throw badInput('entity columns have different lengths');
    await loadColumns(
      connection,
      entries.map(([n, v]) => jsColumn(n, v)),
    );
    return false;
  }
  if ('sql' in input) {
    await checkUserQuery(connection, input.sql, 'the entity query');
    try {
      // The newline ends a trailing `--` comment.
      await connection.run(`CREATE TABLE ${LOADED_TABLE} AS ${input.sql}\n`);
    } catch (err) {
      throw badInput(`entity query failed: ${(err as Error).message.split('\n')[0]}`);
    }
    return false;
  }
  throw badInput('unsupported entity input');
}
