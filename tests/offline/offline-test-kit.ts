import { access, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type Table, TimestampMicrosecond } from 'apache-arrow';
import { entitySchema } from '../../src/definitions/entity.ts';
import { featureServiceSchema } from '../../src/definitions/feature-service.ts';
import { featureViewSchema } from '../../src/definitions/feature-view.ts';
import { sourceSchema } from '../../src/definitions/source.ts';
import { connectUtc } from '../../src/duckdb/open-duckdb.ts';
import { quoteIdentifier, quoteString } from '../../src/duckdb/sql-literals.ts';
import type { OfflineConfig } from '../../src/offline/offline-duckdb.ts';
import { partitionFolder } from '../../src/offline/offline-layout.ts';
import { Registry } from '../../src/registry/registry.ts';

export const HOUR = 3_600_000_000n;
/** 2025-12-01T00:00:00Z in microseconds: the first day of the marker tests' partitions. */
export const DAY1 = 1_764_547_200_000_000n;
/** A timestamp cell of `writeParquet`. */
export const at = (micros: bigint) => ({ micros });

/** Whether a view's partition of `date` carries `marker`. */
export function hasMarker(store: string, view: string, date: string, marker: string): Promise<boolean> {
  return access(path.join(partitionFolder(store, view, date), marker)).then(
    () => true,
    () => false,
  );
}

/** A temp folder per test, removed by the returned function. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'trove-offline-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function offlineConfig(dir: string): OfflineConfig {
  return {
    repoDir: dir,
    offlineStorePath: path.join(dir, 'offline'),
    offlineStore: { path: 'offline', memoryLimit: '1GB', threads: 2 },
  };
}

/** A registry from literal definitions, validated by the same schemas as a repo's. */
export function makeRegistry(objects: {
  entities: unknown[];
  sources: unknown[];
  featureViews: unknown[];
  featureServices?: unknown[];
}): Registry {
  return Registry.of('test', {
    entities: objects.entities.map((o) => entitySchema.parse(o)),
    sources: objects.sources.map((o) => sourceSchema.parse(o)),
    featureViews: objects.featureViews.map((o) => featureViewSchema.parse(o)),
    featureServices: (objects.featureServices ?? []).map((o) => featureServiceSchema.parse(o)),
  });
}

export type Cell = bigint | number | string | boolean | null | { micros: bigint };

function literal(value: Cell, type: string): string {
  if (value === null) return `NULL::${type}`;
  if (typeof value === 'object') return `make_timestamptz(${value.micros}::BIGINT)`;
  if (typeof value === 'string') return `${quoteString(value)}::${type}`;
  // A decimal literal would be read as DECIMAL and rounded on its way to FLOAT; through DOUBLE, the
  // shortest text of a double reads back as exactly that double.
  if (typeof value === 'number' && !Number.isInteger(value)) return `(${String(value)})::DOUBLE::${type}`;
  return `(${String(value)})::${type}`;
}

/** Writes rows to a Parquet file through DuckDB, with the given column types. */
export async function writeParquet(
  file: string,
  columns: readonly { name: string; type: string }[],
  rows: readonly Cell[][],
): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await connectUtc(instance);
  try {
    const cols = columns.map((col) => `${quoteIdentifier(col.name)} ${col.type}`).join(', ');
    await c.run(`CREATE TABLE t (${cols})`);
    for (let i = 0; i < rows.length; i += 500) {
      const values = rows
        .slice(i, i + 500)
        .map((r) => `(${r.map((v, j) => literal(v, columns[j]!.type)).join(', ')})`)
        .join(', ');
      await c.run(`INSERT INTO t VALUES ${values}`);
    }
    await c.run(`COPY t TO ${quoteString(file)} (FORMAT parquet)`);
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** Runs one query on a fresh in-memory DuckDB and returns its rows as JS values. */
export async function queryRows(sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(':memory:');
  const c: DuckDBConnection = await connectUtc(instance);
  try {
    return (await c.runAndReadAll(sql)).getRowsJS();
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** Values of a column of an Arrow table; timestamps as epoch microseconds (bigint). */
export function columnValues(table: Table, name: string): unknown[] {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`no column ${name}; columns are ${table.schema.names.join(', ')}`);
  const out: unknown[] = [];
  const isTs = vector.type instanceof TimestampMicrosecond || vector.type.typeId === 10;
  for (let i = 0; i < table.numRows; i++) {
    const v: unknown = vector.get(i);
    out.push(isTs && typeof v === 'number' ? BigInt(Math.round(v * 1000)) : v);
  }
  return out;
}
