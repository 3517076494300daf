import path from 'node:path';
import {
  Field,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampMicrosecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import {
  type Cell,
  columnValues,
  makeRegistry,
  offlineConfig,
  tempDir,
  writeParquet,
} from './offline-test-kit.ts';
import { type RefFeatureRow, referenceJoin } from './reference-pit.ts';

const HOUR = 3_600_000_000n;
const BASE = 1_710_000_000_000_000n; // 2024-03-09T16:00:00Z

// Times on an hour grid with ±1 µs nudges, so rows land exactly at t, at t - ttl and 1 µs outside.
const timeArb = fc
  .record({ h: fc.integer({ min: 0, max: 40 }), nudge: fc.constantFrom(-1n, 0n, 0n, 0n, 1n) })
  .map(({ h, nudge }) => BASE + BigInt(h) * HOUR + nudge);
const createdArb = fc.option(
  fc.integer({ min: 0, max: 3 }).map((c) => BASE + BigInt(c) * 1000n),
  { nil: null },
);
const ttlArb = fc.constantFrom(0, 3600, 3 * 3600, 24 * 3600);

interface Generated {
  ttlA: number;
  ttlB: number;
  rowsA: { k1: bigint; ts: bigint; created: bigint | null; x: bigint | null }[];
  rowsB: { k1: bigint; k2: string; ts: bigint; created: bigint | null; s: string | null; y: number | null }[];
  entities: { k1: bigint | null; k2: string; ts: bigint; label: string }[];
}

const k1Arb = fc.integer({ min: 0, max: 3 }).map(BigInt);
const k2Arb = fc.constantFrom('a', 'b');

const generatedArb: fc.Arbitrary<Generated> = fc.record({
  ttlA: ttlArb,
  ttlB: ttlArb,
  // Unique on (keys, ts, created): rows equal on all three have no defined winner.
  rowsA: fc.uniqueArray(
    fc.record({
      k1: k1Arb,
      ts: timeArb,
      created: createdArb,
      x: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }),
    }),
    { maxLength: 30, selector: (r) => `${r.k1}|${r.ts}|${r.created}` },
  ),
  rowsB: fc.uniqueArray(
    fc.record({
      k1: k1Arb,
      k2: k2Arb,
      ts: timeArb,
      created: createdArb,
      s: fc.option(fc.string({ maxLength: 4 }), { nil: null }),
      y: fc.option(fc.float({ noNaN: true, noDefaultInfinity: true }), { nil: null }),
    }),
    { maxLength: 30, selector: (r) => `${r.k1}|${r.k2}|${r.ts}|${r.created}` },
  ),
  entities: fc.array(
    fc.record({
      k1: fc.option(fc.integer({ min: 0, max: 4 }).map(BigInt), { nil: null, freq: 10 }),
      k2: k2Arb,
      ts: fc.oneof(timeArb, fc.constant(BASE - 10n * HOUR)),
      label: fc.string({ maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 25 },
  ),
});

function entityTable(rows: Generated['entities']): Table {
  const n = rows.length;
  const k1 = new BigInt64Array(n);
  const valid = new Uint8Array(Math.ceil(n / 8));
  rows.forEach((r, i) => {
    if (r.k1 !== null) {
      k1[i] = r.k1;
      valid[i >> 3]! |= 1 << (i & 7);
    }
  });
  const k1Data = makeData({
    type: new Int64(),
    length: n,
    nullCount: rows.filter((r) => r.k1 === null).length,
    data: k1,
    nullBitmap: valid,
  });
  const tsData = makeData({
    type: new TimestampMicrosecond('UTC'),
    length: n,
    nullCount: 0,
    data: BigInt64Array.from(rows.map((r) => r.ts)),
  });
  const k2 = vectorFromArray(
    rows.map((r) => r.k2),
    new Utf8(),
  );
  const label = vectorFromArray(
    rows.map((r) => r.label),
    new Utf8(),
  );
  const fields = [
    new Field('label', new Utf8(), true),
    new Field('k1', new Int64(), true),
    new Field('k2', new Utf8(), true),
    new Field('event_timestamp', new TimestampMicrosecond('UTC'), true),
  ];
  const schema = new Schema(fields);
  const children = [label.data[0]!, k1Data, k2.data[0]!, tsData];
  const data = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return new Table([new RecordBatch(schema, data)]);
}

async function runCase(g: Generated): Promise<void> {
  const { dir, cleanup } = await tempDir();
  try {
    const ts = (micros: bigint): Cell => ({ micros });
    await writeParquet(
      path.join(dir, 'a.parquet'),
      [
        { name: 'k1', type: 'BIGINT' },
        { name: 'ts', type: 'TIMESTAMPTZ' },
        { name: 'created', type: 'TIMESTAMPTZ' },
        { name: 'x', type: 'BIGINT' },
      ],
      g.rowsA.map((r) => [r.k1, ts(r.ts), r.created === null ? null : ts(r.created), r.x]),
    );
    await writeParquet(
      path.join(dir, 'b.parquet'),
      [
        { name: 'k1', type: 'BIGINT' },
        { name: 'k2', type: 'VARCHAR' },
        { name: 'ts', type: 'TIMESTAMPTZ' },
        { name: 'created', type: 'TIMESTAMPTZ' },
        { name: 's', type: 'VARCHAR' },
        { name: 'y', type: 'FLOAT' },
      ],
      g.rowsB.map((r) => [r.k1, r.k2, ts(r.ts), r.created === null ? null : ts(r.created), r.s, r.y]),
    );
    const registry = makeRegistry({
      entities: [
        { name: 'e1', joinKeys: [{ name: 'k1', type: 'int64' }] },
        { name: 'e2', joinKeys: [{ name: 'k2', type: 'string' }] },
      ],
      sources: [
        {
          kind: 'parquet',
          name: 'sa',
          path: 'a.parquet',
          timestampField: 'ts',
          createdTimestampField: 'created',
        },
        {
          kind: 'parquet',
          name: 'sb',
          path: 'b.parquet',
          timestampField: 'ts',
          createdTimestampField: 'created',
        },
      ],
      featureViews: [
        { name: 'va', entities: ['e1'], source: 'sa', ttl: g.ttlA, features: [{ name: 'x', type: 'int64' }] },
        {
          name: 'vb',
          entities: ['e1', 'e2'],
          source: 'sb',
          ttl: g.ttlB,
          features: [
            { name: 's', type: 'string' },
            { name: 'y', type: 'float32' },
          ],
        },
      ],
    });
    const config = offlineConfig(dir);
    await computeViews(config, registry);
    const table = await historicalTable(config, registry, {
      entities: entityTable(g.entities),
      features: ['vb:y', 'va:x', 'vb:s'],
      fullFeatureNames: true,
    });

    const rowsA: RefFeatureRow[] = g.rowsA.map((r) => ({
      keys: [r.k1],
      ts: r.ts,
      created: r.created,
      values: [r.x],
    }));
    const rowsB: RefFeatureRow[] = g.rowsB.map((r) => ({
      keys: [r.k1, r.k2],
      ts: r.ts,
      created: r.created,
      // DuckDB gives -0 back as 0 once it has passed a join or aggregate (its row layouts
      // normalise the sign of zero); the two are equal as numbers (offline-store.md).
      values: [r.s, r.y === null ? null : Math.fround(r.y) + 0],
    }));
    const expected = referenceJoin(
      g.entities.map((e) => ({ keys: [[e.k1], [e.k1, e.k2]], ts: e.ts })),
      [
        { ttlMicros: BigInt(g.ttlA) * 1_000_000n, rows: rowsA },
        { ttlMicros: BigInt(g.ttlB) * 1_000_000n, rows: rowsB },
      ],
    );
    expect(table.schema.names).toEqual(['label', 'k1', 'k2', 'event_timestamp', 'vb__y', 'va__x', 'vb__s']);
    expect(table.numRows).toBe(g.entities.length);
    expect(columnValues(table, 'label')).toEqual(g.entities.map((e) => e.label));
    expect(columnValues(table, 'k1')).toEqual(g.entities.map((e) => e.k1));
    expect(columnValues(table, 'event_timestamp')).toEqual(g.entities.map((e) => e.ts));
    expect(columnValues(table, 'va__x')).toEqual(expected.map((r) => r[0]![0] ?? null));
    expect(columnValues(table, 'vb__s')).toEqual(expected.map((r) => r[1]![0] ?? null));
    expect(columnValues(table, 'vb__y')).toEqual(expected.map((r) => r[1]![1] ?? null));
  } finally {
    await cleanup();
  }
}

describe('point-in-time join against a brute-force reference', () => {
  it('matches row for row, in input order', async () => {
    await fc.assert(fc.asyncProperty(generatedArb, runCase), { numRuns: 60 });
  }, 300_000);

  it('handles a hand-picked boundary case', async () => {
    await runCase({
      ttlA: 3600,
      ttlB: 0,
      rowsA: [
        { k1: 1n, ts: BASE, created: null, x: 1n },
        { k1: 1n, ts: BASE, created: BASE, x: 2n },
        { k1: 1n, ts: BASE + HOUR, created: null, x: null },
      ],
      rowsB: [{ k1: 1n, k2: 'a', ts: BASE, created: null, s: 'x', y: 0.5 }],
      entities: [
        { k1: 1n, k2: 'a', ts: BASE + HOUR, label: 'at t' },
        { k1: 1n, k2: 'a', ts: BASE + HOUR - 1n, label: 'ttl edge' },
        { k1: 1n, k2: 'a', ts: BASE + HOUR - 1n, label: 'ttl edge' },
        { k1: 1n, k2: 'b', ts: BASE + 2n * HOUR + 1n, label: 'outside' },
        { k1: null, k2: 'a', ts: BASE, label: 'null key' },
        { k1: 1n, k2: 'a', ts: BASE - 1n, label: 'before data' },
      ],
    });
  });
});
