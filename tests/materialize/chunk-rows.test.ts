/**
 * Materialization encodes fixed-width columns straight from DuckDB's bytes. Whatever the values
 * (nulls, NaN, negative and beyond-2^53 integers, a null created time), every row must encode to
 * the same bytes, under the same entity text, as the general per-value path does.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { rawColumn } from '../../src/duckdb/raw-vector.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { ChunkRows } from '../../src/materialize/chunk-rows.ts';
import { ByteWriter } from '../../src/online/value-codec.ts';
import { ViewCodec } from '../../src/online/view-codec.ts';
import { makeRegistry } from '../online/online-fixture.ts';

const registry = makeRegistry({
  views: [
    {
      name: 'all_types',
      entities: ['driver'],
      source: 'src',
      features: [
        { name: 'i32', type: 'int32' },
        { name: 'i64', type: 'int64' },
        { name: 'f32', type: 'float32' },
        { name: 'f64', type: 'float64' },
        { name: 'b', type: 'bool' },
        { name: 's', type: 'string' },
        { name: 'ts', type: 'timestamp' },
        { name: 'raw', type: 'bytes' },
        { name: 'li', type: 'list<int64>' },
      ],
    },
  ],
});
const codec = ViewCodec.of(registry, registry.featureView('all_types')!);

const int64 = fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n });
const micros = fc.bigInt({ min: -(10n ** 16n), max: 10n ** 16n });
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 4 });
const double = fc.oneof(fc.double(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0));

const row = fc.record({
  key: fc.oneof(int64, fc.integer({ min: -1000, max: 1000 }).map(BigInt)),
  event: micros,
  created: nullable(micros),
  i32: nullable(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  i64: nullable(int64),
  f32: nullable(fc.float({ noDefaultInfinity: false })),
  f64: nullable(double),
  b: nullable(fc.boolean()),
  s: nullable(fc.string({ maxLength: 20 })),
  ts: nullable(micros),
  raw: nullable(fc.uint8Array({ maxLength: 8 })),
  li: nullable(fc.array(nullable(int64), { maxLength: 3 })),
});
type Row = typeof row extends fc.Arbitrary<infer T> ? T : never;

const lit = (v: unknown, sql: (x: never) => string, type: string) =>
  v === null ? `NULL::${type}` : sql(v as never);
const floatText = (x: number) =>
  Number.isNaN(x)
    ? "'nan'"
    : x === Infinity
      ? "'inf'"
      : x === -Infinity
        ? "'-inf'"
        : `'${Object.is(x, -0) ? '-0.0' : x}'`;

/** The newest-rows query's column layout: keys, event µs, created µs, features (timestamps as µs). */
function selectOf(r: Row): string {
  return `SELECT (${r.key})::BIGINT, (${r.event})::BIGINT, ${lit(r.created, (c: bigint) => `(${c})::BIGINT`, 'BIGINT')},
    ${lit(r.i32, (x: number) => `(${x})::INTEGER`, 'INTEGER')},
    ${lit(r.i64, (x: bigint) => `(${x})::BIGINT`, 'BIGINT')},
    ${lit(r.f32, (x: number) => `${floatText(x)}::FLOAT`, 'FLOAT')},
    ${lit(r.f64, (x: number) => `${floatText(x)}::DOUBLE`, 'DOUBLE')},
    ${lit(r.b, (x: boolean) => String(x), 'BOOLEAN')},
    ${lit(r.s, (x: string) => quoteString(x), 'VARCHAR')},
    ${lit(r.ts, (x: bigint) => `(${x})::BIGINT`, 'BIGINT')},
    ${lit(r.raw, (x: Uint8Array) => `from_hex('${Buffer.from(x).toString('hex')}')`, 'BLOB')},
    ${lit(r.li, (x: (bigint | null)[]) => `[${x.map((v) => (v === null ? 'NULL' : `${v}`)).join(', ')}]::BIGINT[]`, 'BIGINT[]')}`;
}

describe('materialization chunk encoding', () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  beforeAll(async () => {
    ({ instance, connection } = await openDuckDb({ access: 'unrestricted' }));
  });
  afterAll(() => {
    connection.closeSync();
    instance.closeSync();
  });

  it('gives every row the bytes and entity text of the general encoder', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
        // One table, so the rows come back in one chunk, in order.
        await connection.run(
          `CREATE OR REPLACE TEMP TABLE t AS ${rows.map((r, i) => `SELECT ${i} AS n, * FROM (${selectOf(r)})`).join('\nUNION ALL\n')}`,
        );
        const result = await connection.run('SELECT * EXCLUDE (n) FROM t ORDER BY n');
        const chunk = await result.fetchChunk();
        expect(chunk?.rowCount).toBe(rows.length);
        const fast = new ChunkRows(chunk!, codec);
        const vectors = Array.from({ length: chunk!.columnCount }, (_, c) => chunk!.getColumnVector(c));
        // The fast path must be the one taken: each fixed-width column is readable as bytes.
        for (const [c, width] of [
          [0, 8],
          [1, 8],
          [3, 4],
          [4, 8],
          [5, 4],
          [6, 8],
          [7, 1],
          [9, 8],
        ] as const)
          expect(rawColumn(vectors[c]!, width, rows.length)).toBeDefined();
        const w = new ByteWriter();
        for (let i = 0; i < rows.length; i++) {
          fast.encode(i, w);
          const expected = codec.encode(
            vectors[1]!.getItem(i) as bigint,
            vectors[2]!.getItem(i) as bigint | null,
            (f) => vectors[3 + f]!.getItem(i),
          );
          expect(Buffer.from(w.view()).toString('hex')).toBe(expected.toString('hex'));
          expect(fast.entityText(i)).toBe(codec.entityKeys.text([vectors[0]!.getItem(i)]));
          expect(fast.eventMicros(i)).toBe(Number(rows[i]!.event));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('reads strings lying back to back in memory (a Parquet page) in runs, to the same bytes', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'trove-chunk-rows-'));
    try {
      const file = path.join(dir, 'rows.parquet');
      // Lengths from 0 to 80 (inline up to 12, longer ones by pointer), nulls, multi-byte text.
      await connection.run(`COPY (SELECT i::BIGINT AS k, i::BIGINT AS ev, NULL::BIGINT AS cr,
          NULL::INTEGER, NULL::BIGINT, NULL::FLOAT, NULL::DOUBLE, NULL::BOOLEAN,
          CASE WHEN i % 7 = 3 THEN NULL ELSE repeat(CASE WHEN i % 5 = 0 THEN 'ü' ELSE 'x' END, i % 81) || i::VARCHAR END AS s,
          NULL::BIGINT, NULL::BLOB, NULL::BIGINT[]
        FROM range(5000) t(i)) TO ${quoteString(file)} (FORMAT parquet)`);
      const result = await connection.stream(`SELECT * FROM read_parquet(${quoteString(file)})`);
      const w = new ByteWriter();
      let rows = 0;
      for (;;) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const fast = new ChunkRows(chunk, codec);
        const vectors = Array.from({ length: chunk.columnCount }, (_, c) => chunk.getColumnVector(c));
        for (let i = 0; i < chunk.rowCount; i++) {
          fast.encode(i, w);
          const expected = codec.encode(vectors[1]!.getItem(i) as bigint, null, (f) =>
            vectors[3 + f]!.getItem(i),
          );
          expect(Buffer.from(w.view()).toString('hex')).toBe(expected.toString('hex'));
        }
        rows += chunk.rowCount;
      }
      expect(rows).toBe(5000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
