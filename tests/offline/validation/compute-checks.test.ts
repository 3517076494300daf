import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { computeViews } from '../../../src/offline/compute-views.ts';
import { parseTimestamp } from '../../../src/offline/parse-timestamp.ts';
import { ValidationError } from '../../../src/offline/validation/check-failure.ts';
import { readValidationRecord } from '../../../src/offline/validation/validation-record.ts';
import type { Registry } from '../../../src/registry/registry.ts';
import { type Cell, makeRegistry, offlineConfig, tempDir, writeParquet } from '../offline-test-kit.ts';
import { hashFiles } from './store-hash.ts';

const HOUR = 3_600_000_000n;
const DAY1 = parseTimestamp('2024-03-10T00:00:00Z').micros;
const BIG = 9_007_199_254_740_993n; // 2^53 + 1: no double holds it

const COLUMNS = [
  { name: 'driver_id', type: 'BIGINT' },
  { name: 'ts', type: 'TIMESTAMPTZ' },
  { name: 'rate', type: 'DOUBLE' },
  { name: 'city', type: 'VARCHAR' },
  { name: 'trips', type: 'BIGINT' },
  { name: 'score', type: 'DOUBLE' },
  { name: 'code', type: 'BIGINT' },
];

/**
 * 48 rows: 4 drivers every 6 hours over three days (16 rows a day, rows 16–31 on 2024-03-11). Every
 * check passes, bounds included: rate takes 0 and 1, a quarter of each day's scores are null.
 */
function goodRows(): Cell[][] {
  const rows: Cell[][] = [];
  for (let i = 0; i < 48; i++) {
    const time = DAY1 + BigInt(Math.floor(i / 4)) * 6n * HOUR;
    rows.push([
      BigInt(i % 4) + 1n,
      { micros: time },
      (i % 11) / 10,
      i % 2 === 0 ? 'a' : 'b',
      BigInt(i),
      i % 4 === 0 ? null : i,
      i % 2 === 0 ? BIG : 7n,
    ]);
  }
  return rows;
}

const COLUMN = Object.fromEntries(COLUMNS.map((c, i) => [c.name, i]));

/** Good rows with `column` set to `value` in rows `from` to `to` (inclusive). */
function rowsWith(column: string, value: Cell, from: number, to = from): Cell[][] {
  return goodRows().map((r, i) =>
    i >= from && i <= to ? r.map((v, j) => (j === COLUMN[column] ? value : v)) : r,
  );
}

function registryFor(dir: string, extraViews: unknown[] = []): Registry {
  return makeRegistry({
    entities: [{ name: 'driver', joinKeys: [{ name: 'driver_id', type: 'int64' }] }],
    sources: [{ kind: 'parquet', name: 'src', path: path.join(dir, 'src.parquet'), timestampField: 'ts' }],
    featureViews: [
      {
        name: 'stats',
        entities: ['driver'],
        source: 'src',
        checks: { minRows: 10 },
        features: [
          { name: 'rate', type: 'float32', checks: { min: 0, max: 1 } },
          { name: 'city', type: 'string', checks: { allowed: ['a', 'b'] } },
          { name: 'trips', type: 'int64', checks: { notNull: true } },
          { name: 'score', type: 'float64', checks: { maxNullFraction: 0.5 } },
          { name: 'code', type: 'int64', checks: { allowed: [BIG.toString(), 7] } },
        ],
      },
      ...extraViews,
    ],
  });
}

interface FailingCase {
  name: string;
  rows: () => Cell[][];
  failure: {
    feature: string | null;
    check: string;
    rule: string;
    partition: string | null;
    failing: number;
    rows: number;
    samples: number;
  };
  /** The checked feature's value in the first sample. */
  sample?: string | null;
  /** Failures reported; `failure` is the first. */
  count?: number;
}

const DAY2 = '2024-03-11';
const CASES: FailingCase[] = [
  {
    name: 'notNull',
    rows: () => rowsWith('trips', null, 20),
    failure: {
      feature: 'trips',
      check: 'notNull',
      rule: 'notNull',
      partition: DAY2,
      failing: 1,
      rows: 16,
      samples: 1,
    },
    sample: null,
  },
  {
    name: 'min',
    rows: () => rowsWith('rate', -0.5, 20, 21),
    failure: {
      feature: 'rate',
      check: 'min',
      rule: 'min 0',
      partition: DAY2,
      failing: 2,
      rows: 16,
      samples: 2,
    },
    sample: '-0.5',
  },
  {
    name: 'max (samples cut at 5)',
    rows: () => rowsWith('rate', 1.5, 16, 31),
    failure: {
      feature: 'rate',
      check: 'max',
      rule: 'max 1',
      partition: DAY2,
      failing: 16,
      rows: 16,
      samples: 5,
    },
    sample: '1.5',
  },
  {
    name: 'min and max with NaN (within no bound)',
    rows: () => rowsWith('rate', 'NaN', 40),
    count: 2,
    failure: {
      feature: 'rate',
      check: 'min',
      rule: 'min 0',
      partition: '2024-03-12',
      failing: 1,
      rows: 16,
      samples: 1,
    },
    sample: 'nan',
  },
  {
    name: 'allowed (string)',
    rows: () => rowsWith('city', 'z', 5),
    failure: {
      feature: 'city',
      check: 'allowed',
      rule: 'allowed ["a","b"]',
      partition: '2024-03-10',
      failing: 1,
      rows: 16,
      samples: 1,
    },
    sample: 'z',
  },
  {
    name: 'allowed (int64 beyond 2^53)',
    rows: () => rowsWith('code', BIG - 1n, 20),
    failure: {
      feature: 'code',
      check: 'allowed',
      rule: `allowed ["${BIG}",7]`,
      partition: DAY2,
      failing: 1,
      rows: 16,
      samples: 1,
    },
    sample: (BIG - 1n).toString(),
  },
  {
    name: 'maxNullFraction',
    rows: () => rowsWith('score', null, 16, 25),
    failure: {
      feature: 'score',
      check: 'maxNullFraction',
      rule: 'maxNullFraction 0.5',
      partition: DAY2,
      // rows 16–25 and the 28th (i % 4 === 0 beyond the range)
      failing: 11,
      rows: 16,
      samples: 5,
    },
    sample: null,
  },
  {
    name: 'minRows',
    rows: () => goodRows().slice(0, 5),
    failure: {
      feature: null,
      check: 'minRows',
      rule: 'minRows 10',
      partition: null,
      failing: 5,
      rows: 5,
      samples: 0,
    },
  },
];

describe('checks at compute', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  const source = () => path.join(dir, 'src.parquet');

  it('commits rows that pass every check, bounds included, and records the pass', async () => {
    await writeParquet(source(), COLUMNS, goodRows());
    const config = offlineConfig(dir);
    const [result] = await computeViews(config, registryFor(dir));
    expect(result?.rows).toBe(48);
    const record = await readValidationRecord(config.offlineStorePath, 'stats');
    expect(record).toMatchObject({ view: 'stats', status: 'passed', failures: [], failedComputes: 0 });
    expect(record?.lastCommittedAt).toBe(record?.at);
  });

  for (const c of CASES) {
    it(`refuses a view failing ${c.name}, leaving the store byte for byte as it was`, async () => {
      await writeParquet(source(), COLUMNS, goodRows());
      const config = offlineConfig(dir);
      const registry = registryFor(dir);
      await computeViews(config, registry);
      const passed = await readValidationRecord(config.offlineStorePath, 'stats');
      const before = await hashFiles(config.offlineStorePath, ['validation']);
      expect(Object.keys(before).length).toBeGreaterThan(0);

      await writeParquet(source(), COLUMNS, c.rows());
      const error = await computeViews(config, registry).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ValidationError);
      const { views, committed } = error as ValidationError;
      expect(committed).toEqual([]);
      expect(views.map((v) => v.view)).toEqual(['stats']);
      const failures = views[0]!.failures;
      expect(failures).toHaveLength(c.count ?? 1);
      const { samples, ...rest } = failures[0]!;
      const { samples: sampleCount, ...expected } = c.failure;
      expect(rest).toEqual(expected);
      expect(samples).toHaveLength(sampleCount);
      if (c.failure.samples > 0) {
        expect(Object.keys(samples[0]!)).toEqual(['driver_id', 'event_timestamp', c.failure.feature!]);
        expect(samples[0]![c.failure.feature!]).toBe(c.sample);
        expect(samples[0]!.event_timestamp).toMatch(new RegExp(`^${c.failure.partition}T`));
      }
      expect((error as Error).message).toContain(`${c.failure.feature ?? ''} ${c.failure.rule}`.trim());

      expect(await hashFiles(config.offlineStorePath, ['validation'])).toEqual(before);
      const record = await readValidationRecord(config.offlineStorePath, 'stats');
      expect(record).toMatchObject({ status: 'failed', failedComputes: 1, failures });
      expect(record?.lastCommittedAt).toBe(passed?.at);
    });
  }

  it('reports every failing check and partition of a view at once', async () => {
    await writeParquet(source(), COLUMNS, goodRows());
    const config = offlineConfig(dir);
    const rows = goodRows();
    rows[3]![COLUMN.rate!] = 2;
    rows[20]![COLUMN.rate!] = 2;
    rows[21]![COLUMN.trips!] = null;
    await writeParquet(source(), COLUMNS, rows);
    const error = (await computeViews(config, registryFor(dir)).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.views[0]!.failures.map((f) => [f.feature, f.check, f.partition, f.failing])).toEqual([
      ['rate', 'max', '2024-03-10', 1],
      ['rate', 'max', DAY2, 1],
      ['trips', 'notNull', DAY2, 1],
    ]);
    // Nothing was there before; nothing is there now but the record.
    expect(await hashFiles(config.offlineStorePath, ['validation'])).toEqual({});
  });

  it('computes the other views of the run and names them', async () => {
    await writeParquet(source(), COLUMNS, rowsWith('rate', 5, 0));
    const config = offlineConfig(dir);
    const registry = registryFor(dir, [
      { name: 'plain', entities: ['driver'], source: 'src', features: [{ name: 'rate', type: 'float64' }] },
    ]);
    const error = (await computeViews(config, registry).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.views.map((v) => v.view)).toEqual(['stats']);
    expect(error.committed).toEqual(['plain']);
    const files = Object.keys(await hashFiles(config.offlineStorePath, ['validation']));
    expect(files.some((f) => f.startsWith(path.join('views', 'plain', 'date=')))).toBe(true);
    expect(files.some((f) => f.startsWith(path.join('views', 'stats')))).toBe(false);
    expect((await readValidationRecord(config.offlineStorePath, 'plain'))?.status).toBe('passed');
  });

  it('with skipChecks, commits failing rows, logs a warning and records the skip', async () => {
    await writeParquet(source(), COLUMNS, rowsWith('rate', 5, 0));
    const config = offlineConfig(dir);
    const logged: [string, Record<string, unknown>][] = [];
    const [result] = await computeViews(config, registryFor(dir), {
      skipChecks: true,
      log: (message, fields) => logged.push([message, fields]),
    });
    expect(result?.rows).toBe(48);
    expect(logged).toEqual([
      ['data-quality checks skipped (skipChecks)', { level: 'warn', stage: 'compute', views: ['stats'] }],
    ]);
    expect((await readValidationRecord(config.offlineStorePath, 'stats'))?.status).toBe('skipped');
  });

  it('counts refused computes across runs and keeps the time of the last commit', async () => {
    await writeParquet(source(), COLUMNS, goodRows());
    const config = offlineConfig(dir);
    const registry = registryFor(dir);
    await computeViews(config, registry);
    const committedAt = (await readValidationRecord(config.offlineStorePath, 'stats'))?.at;
    await writeParquet(source(), COLUMNS, rowsWith('rate', 5, 0));
    for (let i = 0; i < 2; i++) await expect(computeViews(config, registry)).rejects.toThrow(ValidationError);
    const record = await readValidationRecord(config.offlineStorePath, 'stats');
    expect(record).toMatchObject({ status: 'failed', failedComputes: 2, lastCommittedAt: committedAt });
    await writeParquet(source(), COLUMNS, goodRows());
    await computeViews(config, registry);
    expect(await readValidationRecord(config.offlineStorePath, 'stats')).toMatchObject({
      status: 'passed',
      failedComputes: 2,
    });
  });

  it('ignores a record file that is not one Trove wrote', async () => {
    await writeParquet(source(), COLUMNS, goodRows());
    const config = offlineConfig(dir);
    await computeViews(config, registryFor(dir));
    await writeFile(path.join(config.offlineStorePath, 'validation', 'stats.json'), '{"view": "stats"');
    expect(await readValidationRecord(config.offlineStorePath, 'stats')).toBeUndefined();
  });
});
