import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable, writeHistoricalFile } from '../../src/offline/historical-output.ts';
import type { HistoricalRequest } from '../../src/offline/historical-query.ts';
import type { OfflineConfig } from '../../src/offline/offline-duckdb.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { makeRegistry, offlineConfig, tempDir, writeParquet } from './offline-test-kit.ts';

const T0 = 1_710_072_000_000_000n;

async function setup(dir: string): Promise<{ config: OfflineConfig; registry: Registry }> {
  await writeParquet(
    path.join(dir, 'data.parquet'),
    [
      { name: 'driver_id', type: 'BIGINT' },
      { name: 'customer_id', type: 'BIGINT' },
      { name: 'ts', type: 'TIMESTAMPTZ' },
      { name: 'rate', type: 'DOUBLE' },
    ],
    [[1n, 5n, { micros: T0 }, 0.5]],
  );
  const registry = makeRegistry({
    entities: [
      { name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] },
      { name: 'customer', joinKeys: [{ name: 'customer_id', type: 'int64' }] },
    ],
    sources: [{ kind: 'parquet', name: 'src', path: 'data.parquet', timestampField: 'ts' }],
    featureViews: [
      { name: 'a', entities: ['driver'], source: 'src', features: [{ name: 'rate', type: 'float64' }] },
      {
        name: 'b',
        entities: ['driver', 'customer'],
        source: 'src',
        features: [{ name: 'rate', type: 'float64' }],
      },
    ],
    featureServices: [{ name: 'svc', features: ['a'] }],
  });
  const config = offlineConfig(dir);
  await computeViews(config, registry);
  return { config, registry };
}

const ROW = { driver_id: 1, event_timestamp: '2024-03-11T00:00:00Z' };

describe('bad input to historical retrieval', () => {
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

  const cases: [string, Partial<HistoricalRequest>, RegExp][] = [
    [
      'missing join key',
      { entities: [ROW], features: ['b:rate'] },
      /lacks join key customer_id \(needed by feature view b\)/,
    ],
    [
      'no timestamp column',
      { entities: [{ driver_id: 1 }], features: ['a:rate'] },
      /needs an event_timestamp column/,
    ],
    [
      'ambiguous timestamp columns',
      { entities: [{ driver_id: 1, t1: new Date(), t2: new Date() }], features: ['a:rate'] },
      /several timestamp columns \(t1, t2\)/,
    ],
    [
      'unparsable timestamp',
      { entities: [ROW, { driver_id: 1, event_timestamp: 'yesterday' }], features: ['a:rate'] },
      /cannot parse "yesterday" \(row 2\)/,
    ],
    [
      'bad join key value',
      { entities: [{ ...ROW, driver_id: 'x' }], features: ['a:rate'] },
      /"x" is not a valid int64/,
    ],
    ['unknown view', { entities: [ROW], features: ['nope:rate'] }, /unknown feature view nope/],
    ['unknown feature', { entities: [ROW], features: ['a:nope'] }, /feature view a has no feature nope/],
    ['unknown service', { entities: [ROW], service: 'nope' }, /unknown feature service nope/],
    [
      'empty entity table',
      { entities: { columns: { driver_id: [], event_timestamp: [] } }, features: ['a:rate'] },
      /empty/,
    ],
    [
      'missing entity file',
      { entities: path.join('/nonexistent', 'e.parquet'), features: ['a:rate'] },
      /does not exist/,
    ],
    [
      'name collision',
      { entities: [{ ...ROW, customer_id: 5 }], features: ['a:rate', 'b:rate'] },
      /rate is offered by both a and b/,
    ],
    [
      'entity column named like a feature',
      { entities: [{ ...ROW, rate: 1 }], features: ['a:rate'] },
      /same name as the requested feature a:rate/,
    ],
  ];

  it.each(cases)('%s: a clear error', async (_, request, message) => {
    await expect(historicalTable(config, registry, request as HistoricalRequest)).rejects.toThrow(message);
  });

  it('leaves no output file when the request fails or the folder cannot be written', async () => {
    const out = path.join(dir, 'out', 'train.parquet');
    await expect(
      writeHistoricalFile(config, registry, { entities: [ROW], features: ['a:rate'] }, out),
    ).rejects.toThrow(/folder .* does not exist/);
    await mkdir(path.dirname(out));
    await expect(
      writeHistoricalFile(config, registry, { entities: [{ driver_id: 1 }], features: ['a:rate'] }, out),
    ).rejects.toThrow(/event_timestamp/);
    expect(await readdir(path.dirname(out))).toEqual([]);
    await expect(
      writeHistoricalFile(
        config,
        registry,
        { entities: [ROW], features: ['a:rate'] },
        path.join(dir, 'x.json'),
      ),
    ).rejects.toThrow(/expected a .parquet, .csv or .arrow/);
  });
});

describe('trove compute and trove historical', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await cleanup();
    vi.restoreAllMocks();
  });

  it('compute, then a training file; bad input exits non-zero with one line and no file', async () => {
    await writeParquet(
      path.join(dir, 'data.parquet'),
      [
        { name: 'driver_id', type: 'BIGINT' },
        { name: 'ts', type: 'TIMESTAMPTZ' },
        { name: 'rate', type: 'DOUBLE' },
      ],
      [[1n, { micros: T0 }, 0.5]],
    );
    await writeFile(path.join(dir, 'trove.yaml'), 'project: cli_test\n');
    await writeFile(
      path.join(dir, 'defs.yaml'),
      `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - { name: src, kind: parquet, path: data.parquet, timestampField: ts }
featureViews:
  - name: a
    entities: [driver]
    source: src
    features: [{ name: rate, type: float64 }]
`,
    );
    await writeFile(path.join(dir, 'entities.csv'), 'driver_id,event_timestamp\n1,2024-03-11 00:00:00\n');
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      stderr.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const trove = (...args: string[]) => main(['node', 'trove', ...args, '--repo', dir]);
    expect(await trove('apply')).toBe(0);
    expect(await trove('compute', '--start', '2024-03-01', '--end', '2024-04-01')).toBe(0);
    const out = path.join(dir, 'train.csv');
    const entities = path.join(dir, 'entities.csv');
    expect(await trove('historical', '--entities', entities, '--features', 'a:rate', '--out', out)).toBe(0);
    stderr.length = 0;
    expect(
      await trove('historical', '--entities', entities, '--features', 'a:nope', '--out', `${out}2.csv`),
    ).toBe(1);
    expect(stderr.join('')).toMatch(/trove: feature view a has no feature nope\n$/);
    expect(await trove('compute', '--start', 'soon')).toBe(1);
    expect(stderr.join('')).toMatch(/cannot parse "soon"/);
    expect((await readdir(dir)).filter((n) => n.includes('train'))).toEqual(['train.csv']);
  });
});
