import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pushFolder } from '../../src/definitions/source-sql.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { computeViews } from '../../src/offline/compute-views.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import { viewFolder, viewGlob } from '../../src/offline/offline-layout.ts';
import { parseTimestamp } from '../../src/offline/parse-timestamp.ts';
import { recoverView } from '../../src/offline/partition-swap.ts';
import type { Registry } from '../../src/registry/registry.ts';
import {
  type Cell,
  columnValues,
  makeRegistry,
  offlineConfig,
  queryRows,
  tempDir,
  writeParquet,
} from './offline-test-kit.ts';

const HOUR = 3_600_000_000n;
const DAY1 = parseTimestamp('2024-03-10T00:00:00Z').micros;

const COLUMNS = [
  { name: 'driver_id', type: 'BIGINT' },
  { name: 'ts', type: 'TIMESTAMPTZ' },
  { name: 'rate', type: 'DOUBLE' },
];

/** One row per driver and 6 hours over three days; `rate` tags the version of the source. */
function sourceRows(version: number): Cell[][] {
  const rows: Cell[][] = [];
  for (let h = 0n; h < 72n; h += 6n) {
    for (const d of [1n, 2n]) rows.push([d, { micros: DAY1 + h * HOUR }, version * 1000 + Number(h)]);
  }
  return rows;
}

function registryFor(dir: string): Registry {
  return makeRegistry({
    entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
    sources: [{ kind: 'parquet', name: 'src', path: path.join(dir, 'src.parquet'), timestampField: 'ts' }],
    featureViews: [
      { name: 'stats', entities: ['driver'], source: 'src', features: [{ name: 'rate', type: 'float32' }] },
    ],
  });
}

async function storedRows(store: string): Promise<[bigint, bigint, number][]> {
  const rows = await queryRows(
    `SELECT driver_id, epoch_us(event_timestamp), rate FROM read_parquet(${quoteString(viewGlob(store, 'stats'))}) ORDER BY ALL`,
  );
  return rows as [bigint, bigint, number][];
}

describe('compute', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it('writes one partition per UTC event date with the canonical columns and declared types', async () => {
    await writeParquet(path.join(dir, 'src.parquet'), COLUMNS, sourceRows(1));
    const config = offlineConfig(dir);
    const [result] = await computeViews(config, registryFor(dir));
    expect(result?.rows).toBe(24);
    expect(await readdir(viewFolder(config.offlineStorePath, 'stats'))).toEqual([
      'date=2024-03-10',
      'date=2024-03-11',
      'date=2024-03-12',
    ]);
    const described = await queryRows(
      `DESCRIBE SELECT * FROM read_parquet(${quoteString(viewGlob(config.offlineStorePath, 'stats'))}, hive_partitioning = false)`,
    );
    expect(described.map((r) => `${r[0]} ${r[1]}`)).toEqual([
      'driver_id BIGINT',
      'event_timestamp TIMESTAMP WITH TIME ZONE',
      'created_timestamp TIMESTAMP WITH TIME ZONE',
      'rate FLOAT',
    ]);
  });

  it('replaces exactly a range, keeping rows of the edge days outside it, and is repeatable', async () => {
    const src = path.join(dir, 'src.parquet');
    await writeParquet(src, COLUMNS, sourceRows(1));
    const config = offlineConfig(dir);
    const registry = registryFor(dir);
    await computeViews(config, registry);
    await writeParquet(src, COLUMNS, sourceRows(2));
    const start = { micros: DAY1 + 30n * HOUR };
    const end = { micros: DAY1 + 54n * HOUR };
    for (let i = 0; i < 2; i++) {
      await computeViews(config, registry, { start, end });
      const rows = await storedRows(config.offlineStorePath);
      expect(rows).toHaveLength(24);
      for (const [, ts, rate] of rows) {
        const version = ts >= start.micros && ts < end.micros ? 2 : 1;
        expect(Math.floor(rate / 1000)).toBe(version);
      }
      expect(new Set(rows.map((r) => `${r[0]}|${r[1]}`)).size).toBe(24);
    }
  });

  it('a full recompute drops partitions whose rows left the source', async () => {
    const src = path.join(dir, 'src.parquet');
    await writeParquet(src, COLUMNS, sourceRows(1));
    const config = offlineConfig(dir);
    await computeViews(config, registryFor(dir));
    await writeParquet(src, COLUMNS, sourceRows(1).slice(0, 4));
    await computeViews(config, registryFor(dir));
    // The dropped partitions' last version is retained for datasets that read it (docs/lineage.md).
    expect(await readdir(viewFolder(config.offlineStorePath, 'stats'))).toEqual([
      '_retained',
      'date=2024-03-10',
    ]);
    expect(await storedRows(config.offlineStorePath)).toHaveLength(4);
  });

  it('a crash after the commit point is rolled forward; before it the old data stays', async () => {
    const src = path.join(dir, 'src.parquet');
    await writeParquet(src, COLUMNS, sourceRows(1));
    const config = offlineConfig(dir);
    const registry = registryFor(dir);
    await computeViews(config, registry);
    const before = await storedRows(config.offlineStorePath);
    await writeParquet(src, COLUMNS, sourceRows(2));

    // Crash right after the journal is written: nothing has moved, readers still see complete old data.
    const crash = (at: string) => (step: string) => {
      if (step === at) throw new Error(`simulated crash at ${step}`);
    };
    await expect(computeViews(config, registry, { failpoint: crash('journal-written') })).rejects.toThrow(
      /simulated crash/,
    );
    expect(await storedRows(config.offlineStorePath)).toEqual(before);
    // A reader finishes the swap before reading.
    const table = await historicalTable(config, registry, {
      entities: [{ driver_id: 1, event_timestamp: new Date('2024-03-12T23:00:00Z') }],
      features: ['stats:rate'],
    });
    expect(columnValues(table, 'rate')).toEqual([2066]);
    expect((await storedRows(config.offlineStorePath)).every((r) => r[2] >= 2000)).toBe(true);

    // Crash after the first partition moved: each partition is complete (old or new), none missing.
    await writeParquet(src, COLUMNS, sourceRows(3));
    await expect(computeViews(config, registry, { failpoint: crash('partition-swapped') })).rejects.toThrow(
      /simulated crash/,
    );
    const mid = await storedRows(config.offlineStorePath);
    expect(mid).toHaveLength(24);
    expect(new Set(mid.map((r) => `${r[0]}|${r[1]}`)).size).toBe(24);
    await recoverView(config.offlineStorePath, 'stats');
    expect((await storedRows(config.offlineStorePath)).every((r) => r[2] >= 3000)).toBe(true);
    const leftovers = (await readdir(viewFolder(config.offlineStorePath, 'stats'))).filter(
      (n) => !n.startsWith('date='),
    );
    // The replaced partitions are retained, nothing else is left.
    expect(leftovers).toEqual(['_retained']);
  });

  it('a source that fails to read leaves the stored data and no staging behind', async () => {
    const src = path.join(dir, 'src.parquet');
    await writeParquet(src, COLUMNS, sourceRows(1));
    const config = offlineConfig(dir);
    await computeViews(config, registryFor(dir));
    const before = await storedRows(config.offlineStorePath);
    await writeFile(src, 'not parquet');
    await expect(computeViews(config, registryFor(dir))).rejects.toThrow(/stats|src/);
    expect(await storedRows(config.offlineStorePath)).toEqual(before);
    const names = await readdir(viewFolder(config.offlineStorePath, 'stats'));
    expect(names.filter((n) => !n.startsWith('date='))).toEqual([]);
  });

  it('takes over the lock of a dead process', async () => {
    await writeParquet(path.join(dir, 'src.parquet'), COLUMNS, sourceRows(1));
    const config = offlineConfig(dir);
    const lock = path.join(viewFolder(config.offlineStorePath, 'stats'), '_lock');
    await mkdir(lock, { recursive: true });
    await writeFile(path.join(lock, 'pid'), '999999999');
    await expect(computeViews(config, registryFor(dir))).resolves.toHaveLength(1);
  });

  it('a failure after staging, before the commit point, removes what it staged at once', async () => {
    // As when the disk fills up while the journal is written: the staged partitions must not keep
    // holding the space until some later compute cleans them up.
    const src = path.join(dir, 'src.parquet');
    await writeParquet(src, COLUMNS, sourceRows(1));
    const config = offlineConfig(dir);
    await computeViews(config, registryFor(dir));
    const before = await storedRows(config.offlineStorePath);
    await writeParquet(src, COLUMNS, sourceRows(2));
    const failpoint = (step: string) => {
      if (step === 'staged') throw new Error('ENOSPC: no space left on device');
    };
    await expect(computeViews(config, registryFor(dir), { failpoint })).rejects.toThrow(/no space left/);
    expect(await storedRows(config.offlineStorePath)).toEqual(before);
    const names = await readdir(viewFolder(config.offlineStorePath, 'stats'));
    expect(names.filter((n) => !n.startsWith('date='))).toEqual([]);
  });

  it('takes over a lock whose pid file was left empty, as a full disk or a kill mid-write leaves it', async () => {
    await writeParquet(path.join(dir, 'src.parquet'), COLUMNS, sourceRows(1));
    const config = offlineConfig(dir);
    const lock = path.join(viewFolder(config.offlineStorePath, 'stats'), '_lock');
    await mkdir(lock, { recursive: true });
    await writeFile(path.join(lock, 'pid'), '');
    // Left a minute ago, well past the time a live owner takes to write its pid.
    const past = new Date(Date.now() - 60_000);
    await utimes(lock, past, past);
    await expect(computeViews(config, registryFor(dir))).resolves.toHaveLength(1);
    // A lock just being taken (no pid yet) is not stolen.
    await mkdir(lock);
    await expect(computeViews(config, registryFor(dir))).rejects.toThrow(/being computed by another process/);
  });

  it('reads pushed rows, field mappings and SQL transformations', async () => {
    const config = offlineConfig(dir);
    const registry = makeRegistry({
      entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
      sources: [
        {
          kind: 'push',
          name: 'pushed',
          timestampField: 'ts',
          fieldMapping: { raw_rate: 'rate' },
        },
      ],
      featureViews: [
        {
          name: 'stats',
          entities: ['driver'],
          source: 'pushed',
          transformation: 'SELECT driver_id, ts, rate * 2 AS rate FROM source',
          features: [{ name: 'rate', type: 'float64' }],
        },
      ],
    });
    // Nothing pushed yet: the view computes to nothing.
    expect((await computeViews(config, registry))[0]?.rows).toBe(0);
    const folder = pushFolder(config.offlineStorePath, 'pushed');
    await mkdir(folder, { recursive: true });
    await writeParquet(
      path.join(folder, 'batch-1.parquet'),
      [
        { name: 'driver_id', type: 'BIGINT' },
        { name: 'ts', type: 'TIMESTAMPTZ' },
        { name: 'raw_rate', type: 'DOUBLE' },
      ],
      [[7n, { micros: DAY1 }, 1.25]],
    );
    expect((await computeViews(config, registry))[0]?.rows).toBe(1);
    expect(await storedRows(config.offlineStorePath)).toEqual([[7n, DAY1, 2.5]]);
  });
});
