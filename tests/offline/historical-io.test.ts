import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Float32, Int64, tableFromIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import {
  historicalIpcStream,
  historicalTable,
  writeHistoricalFile,
} from '../../src/offline/historical-output.ts';
import type { HistoricalRequest } from '../../src/offline/historical-query.ts';
import type { OfflineConfig } from '../../src/offline/offline-duckdb.ts';
import { parseTimestamp } from '../../src/offline/parse-timestamp.ts';
import type { Registry } from '../../src/registry/registry.ts';
import {
  columnValues,
  makeRegistry,
  offlineConfig,
  queryRows,
  tempDir,
  writeParquet,
} from './offline-test-kit.ts';

const T0 = parseTimestamp('2024-03-10T12:00:00.000001Z').micros;
const BIG = 9_223_372_036_854_775_807n;

async function setup(dir: string): Promise<{ config: OfflineConfig; registry: Registry }> {
  await writeParquet(
    path.join(dir, 'drivers.parquet'),
    [
      { name: 'driver_id', type: 'BIGINT' },
      { name: 'ts', type: 'TIMESTAMPTZ' },
      { name: 'trips', type: 'BIGINT' },
      { name: 'rate', type: 'FLOAT' },
    ],
    [
      [1n, { micros: T0 }, BIG, 0.1],
      [2n, { micros: T0 }, null, null],
    ],
  );
  await writeParquet(
    path.join(dir, 'customers.parquet'),
    [
      { name: 'customer_id', type: 'VARCHAR' },
      { name: 'ts', type: 'TIMESTAMPTZ' },
      { name: 'rate', type: 'DOUBLE' },
    ],
    [['c1', { micros: T0 - 1n }, 5.5]],
  );
  const registry = makeRegistry({
    entities: [
      { name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] },
      { name: 'customer', joinKeys: [{ name: 'customer_id', type: 'string' }] },
    ],
    sources: [
      { kind: 'parquet', name: 'drivers_src', path: 'drivers.parquet', timestampField: 'ts' },
      { kind: 'parquet', name: 'customers_src', path: 'customers.parquet', timestampField: 'ts' },
    ],
    featureViews: [
      {
        name: 'drivers',
        entities: ['driver'],
        source: 'drivers_src',
        ttl: '1d',
        features: [
          { name: 'trips', type: 'int64' },
          { name: 'rate', type: 'float32' },
        ],
      },
      {
        name: 'customers',
        entities: ['customer'],
        source: 'customers_src',
        features: [{ name: 'rate', type: 'float64' }],
      },
    ],
    featureServices: [{ name: 'svc', features: ['customers:rate', 'drivers:trips'] }],
  });
  const config = offlineConfig(dir);
  await computeViews(config, registry);
  return { config, registry };
}

const ENTITY_ROWS = [
  { driver_id: 2, customer_id: 'c1', event_timestamp: '2024-03-10T12:00:00.000001', label: true },
  { driver_id: 1, customer_id: 'c1', event_timestamp: '2024-03-10T12:00:00.000001Z', label: false },
  { driver_id: 1, customer_id: 'zz', event_timestamp: '2024-03-10T12:00:00Z', label: true },
  { driver_id: 2, customer_id: 'c1', event_timestamp: '2024-03-10T12:00:00.000001', label: true },
];

describe('historical retrieval inputs and outputs', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let config: OfflineConfig;
  let registry: Registry;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    ({ config, registry } = await setup(dir));
  });
  afterEach(async () => {
    await cleanup();
  });

  const request = (entities: HistoricalRequest['entities']): HistoricalRequest => ({
    entities,
    features: ['drivers:trips', 'customers:rate', 'drivers:rate'],
    fullFeatureNames: true,
  });

  it('keeps int64 exact, nulls null, float32 as float32 and timestamps in microseconds', async () => {
    const table = await historicalTable(config, registry, request(ENTITY_ROWS));
    expect(table.schema.names).toEqual([
      'driver_id',
      'customer_id',
      'event_timestamp',
      'label',
      'drivers__trips',
      'customers__rate',
      'drivers__rate',
    ]);
    expect(table.schema.fields[4]?.type).toBeInstanceOf(Int64);
    expect(table.schema.fields[6]?.type).toBeInstanceOf(Float32);
    expect(columnValues(table, 'drivers__trips')).toEqual([null, BIG, null, null]);
    expect(columnValues(table, 'drivers__rate')).toEqual([null, Math.fround(0.1), null, null]);
    expect(columnValues(table, 'customers__rate')).toEqual([5.5, 5.5, null, 5.5]);
    expect(columnValues(table, 'label')).toEqual([true, false, true, true]);
  });

  it('accepts CSV, Parquet, columns, Arrow and SQL entity tables alike', async () => {
    const expected = columnValues(
      await historicalTable(config, registry, request(ENTITY_ROWS)),
      'drivers__trips',
    );
    const csv = path.join(dir, 'entities.csv');
    await writeFile(
      csv,
      `driver_id,customer_id,event_timestamp,label\n${ENTITY_ROWS.map((r) => `${r.driver_id},${r.customer_id},${r.event_timestamp},${r.label}`).join('\n')}\n`,
    );
    const parquet = path.join(dir, 'entities.parquet');
    await queryRows(
      `COPY (SELECT * FROM read_csv(${quoteString(csv)}, header = true, types = {'event_timestamp': 'VARCHAR'})) TO ${quoteString(parquet)} (FORMAT parquet)`,
    );
    const columns = {
      driver_id: ENTITY_ROWS.map((r) => BigInt(r.driver_id)),
      customer_id: ENTITY_ROWS.map((r) => r.customer_id),
      event_timestamp: ENTITY_ROWS.map((r) => r.event_timestamp),
    };
    const arrow = await historicalTable(config, registry, request(ENTITY_ROWS));
    for (const input of [
      csv,
      { path: parquet },
      { columns },
      arrow.select(['driver_id', 'customer_id', 'event_timestamp']),
    ]) {
      const table = await historicalTable(config, registry, request(input));
      expect(columnValues(table, 'drivers__trips')).toEqual(expected);
    }
    const fromSql = await historicalTable(config, registry, {
      entities: { sql: 'SELECT driver_id, event_timestamp FROM drivers ORDER BY driver_id' },
      features: ['drivers:trips'],
    });
    expect(columnValues(fromSql, 'trips')).toEqual([BIG, null]);
  });

  it('writes Parquet, CSV and Arrow files, and an Arrow IPC stream, with the same rows', async () => {
    for (const ext of ['parquet', 'csv', 'arrow']) {
      const out = path.join(dir, `train.${ext}`);
      const result = await writeHistoricalFile(config, registry, request(ENTITY_ROWS), out);
      expect(result.rows).toBe(4);
      if (ext === 'arrow') {
        const table = tableFromIPC(await readFile(out));
        expect(columnValues(table, 'drivers__trips')).toEqual([null, BIG, null, null]);
        // Input columns pass through unchanged: these timestamps came in as text.
        expect(String(table.schema.fields[2]?.type)).toBe('Utf8');
        expect(String(table.schema.fields[6]?.type)).toBe('Float32');
      } else {
        const reader = ext === 'csv' ? 'read_csv' : 'read_parquet';
        const rows = await queryRows(`SELECT drivers__trips::VARCHAR FROM ${reader}(${quoteString(out)})`);
        expect(rows.map((r) => r[0])).toEqual([null, BIG.toString(), null, null]);
      }
    }
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const parts: Uint8Array[] = [];
    for await (const bytes of await historicalIpcStream(config, registry, request(ENTITY_ROWS)))
      parts.push(bytes);
    const streamed = tableFromIPC(Buffer.concat(parts));
    expect(streamed.numRows).toBe(4);
    expect(columnValues(streamed, 'customers__rate')).toEqual([5.5, 5.5, null, 5.5]);
  });

  it('resolves a feature service in its order, and streams large inputs in order', async () => {
    const n = 20_000;
    const rows = Array.from({ length: n }, (_, i) => ({
      driver_id: (i % 3) + 1,
      customer_id: 'c1',
      event_timestamp: new Date(Date.UTC(2024, 2, 10, 13)),
      i,
    }));
    const table = await historicalTable(config, registry, { entities: rows, service: 'svc' });
    expect(table.schema.names.slice(-2)).toEqual(['rate', 'trips']);
    expect(columnValues(table, 'i')).toEqual(rows.map((r) => BigInt(r.i)));
  });
});
