/**
 * `trove drift` against the offline store: a training dataset drawn from the same distribution as
 * the stored rows passes, one whose values moved is flagged (exit 1), a per-feature
 * `driftThreshold` loosens the bound, and nulls and int64 beyond 2^53 are binned in DuckDB.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ResolvedConfig } from '../../src/config/trove-config.ts';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { computeDrift, type DriftReport } from '../../src/offline/drift/compute-drift.ts';
import { populationStabilityIndex } from '../../src/offline/drift/population-stability.ts';
import { parseTimestamp } from '../../src/offline/parse-timestamp.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import type { Registry } from '../../src/registry/registry.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const DEFINITIONS = `
entities:
  - name: rider
    joinKeys: [{ name: rider_id, type: int64 }]
sources:
  - name: rider_events
    kind: parquet
    path: data/rider_events.parquet
    timestampField: event_timestamp
featureViews:
  - name: rider_stats
    entities: [rider]
    source: rider_events
    features:
      - { name: spend, type: float64 }
      - { name: segment, type: string }
      - { name: big, type: int64 }
      - { name: tolerant, type: float64, driftThreshold: 1000 }
      - { name: tags, type: list<string> }
  - name: rider_activity
    kind: aggregation
    entities: [rider]
    source: rider_events
    aggregations:
      - { column: spend, function: sum, windows: [1d] }
      - { function: count, windows: [1d] }
`;

/** Rows i of the generator: spend uniform in [0, 100), segment a–e, big past 2^60, every 10th spend null. */
function rowsSql(n: number, seed: number, shift: { spend?: number; segment?: string } = {}): string {
  const spend = `CASE WHEN i % 10 = 0 THEN NULL ELSE ((i * 7919 + ${seed}) % 1000) / 10.0 + ${shift.spend ?? 0} END`;
  const segment = shift.segment
    ? `CASE WHEN i % 5 = 0 THEN 'a' ELSE ${quoteString(shift.segment)} END`
    : `chr(97 + ((i + ${seed}) % 5)::INTEGER)`;
  return `SELECT (i % 200)::BIGINT AS rider_id,
            TIMESTAMPTZ '2025-06-01 00:00:00+00' + to_minutes(i::BIGINT) AS event_timestamp,
            ${spend}::DOUBLE AS spend, ${segment} AS segment,
            (1152921504606846976 + (i * 13 + ${seed}) % 97)::BIGINT AS big,
            ${spend}::DOUBLE AS tolerant,
            ['x', 'y'] AS tags
          FROM range(${n}) t(i)`;
}

let repo: TempRepo;
let env: NodeJS.ProcessEnv;
let config: ResolvedConfig;
let registry: Registry;

async function run(sql: string): Promise<void> {
  const { instance, connection } = await openDuckDb({ access: 'unrestricted' });
  try {
    await connection.run(sql);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A training dataset as `trove historical` names its columns with full feature names. */
async function writeDataset(file: string, select: string, fullNames = true): Promise<string> {
  const target = path.join(repo.dir, file);
  const name = (f: string) => (fullNames ? `rider_stats__${f}` : f);
  const columns = ['spend', 'segment', 'big', 'tolerant', 'tags'].map((f) => `${f} AS ${name(f)}`).join(', ');
  const copy = file.endsWith('.csv') ? '(HEADER)' : '(FORMAT parquet)';
  await run(
    `COPY (SELECT rider_id, event_timestamp, 1 AS label, ${columns} FROM (${select})) TO ${quoteString(target)} ${copy}`,
  );
  return target;
}

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', 'project: drift_test\n');
  await repo.write('definitions.yaml', DEFINITIONS);
  await repo.write('data/.keep', '');
  await run(
    `COPY (${rowsSql(4000, 0)}) TO ${quoteString(path.join(repo.dir, 'data', 'rider_events.parquet'))} (FORMAT parquet)`,
  );
  env = { ...process.env, TROVE_REDIS_KEY_PREFIX: `trove-drift-${randomUUID().slice(0, 8)}` };
  config = await loadConfig(repo.dir, env);
  await applyRepo(config);
  const store = await FeatureStore.open(repo.dir, { env });
  try {
    await store.compute();
    registry = await store.registry();
  } finally {
    await store.close();
  }
  // Same distribution (another draw of the generator), and one whose spend and segment moved.
  await writeDataset('same.parquet', rowsSql(1500, 3));
  await writeDataset('same.csv', rowsSql(1500, 3), false);
  await writeDataset('shifted.parquet', rowsSql(1500, 3, { spend: 60, segment: 'e' }));
});

afterAll(async () => {
  await repo?.remove();
});

function feature(report: DriftReport, name: string) {
  const f = report.features.find((x) => x.feature === name);
  if (!f) throw new Error(`no ${name} in the report`);
  return f;
}

describe('population stability index', () => {
  it('is 0 for equal shares, grows with the shift, and takes an epsilon for empty bins', () => {
    expect(
      populationStabilityIndex([
        { expected: 5, actual: 10 },
        { expected: 5, actual: 10 },
      ]),
    ).toBe(0);
    const small = populationStabilityIndex([
      { expected: 50, actual: 45 },
      { expected: 50, actual: 55 },
    ])!;
    const large = populationStabilityIndex([
      { expected: 50, actual: 10 },
      { expected: 50, actual: 90 },
    ])!;
    expect(small).toBeGreaterThan(0);
    expect(large).toBeGreaterThan(small);
    // (0.5 − 1e-4)·ln(0.5/1e-4) + (0.5 − 1)·ln(0.5/1): finite although one bin is empty.
    const empty = populationStabilityIndex([
      { expected: 1, actual: 0 },
      { expected: 1, actual: 2 },
    ])!;
    expect(empty).toBeCloseTo((1e-4 - 0.5) * Math.log(1e-4 / 0.5) + 0.5 * Math.log(2), 10);
    expect(populationStabilityIndex([{ expected: 0, actual: 3 }])).toBeNull();
  });
});

describe('trove drift', () => {
  it('passes a dataset drawn from the same distribution', async () => {
    const report = await computeDrift(config, registry, {
      dataset: path.join(repo.dir, 'same.parquet'),
      views: ['rider_stats'],
    });
    expect(report.flagged).toBe(0);
    for (const name of ['spend', 'segment', 'big', 'tolerant']) {
      const f = feature(report, name);
      expect(f.psi, name).not.toBeNull();
      expect(f.psi!, name).toBeLessThan(0.05);
      expect(f.expectedRows).toBe(1500);
      expect(f.actualRows).toBe(4000);
    }
    // Nulls are a bin of their own, with the shares the generator gives (every 10th row).
    const nulls = feature(report, 'spend').bins.find((b) => b.label === 'null')!;
    expect(nulls.expected).toBe(150);
    expect(nulls.actual).toBe(400);
    // int64 edges keep every digit: 2^60 + k, not rounded to a multiple of 256.
    const edges = feature(report, 'big')
      .bins.map((b) => b.label)
      .join(' ');
    expect(edges).toMatch(/11529215046068469\d\d/);
    expect(edges).not.toMatch(/1152921504606847000/);
    expect(feature(report, 'tags').skipped).toMatch(/no distribution/);
  });

  it('leaves out training rows the join found nothing for (every feature of the view null)', async () => {
    const misses = `SELECT rider_id, event_timestamp, NULL::DOUBLE AS spend, NULL AS segment, NULL::BIGINT AS big,
                           NULL::DOUBLE AS tolerant, NULL::VARCHAR[] AS tags FROM (${rowsSql(700, 5)})`;
    const file = await writeDataset('with-misses.parquet', `${rowsSql(1500, 3)} UNION ALL ${misses}`);
    const report = await computeDrift(config, registry, { dataset: file, views: ['rider_stats'] });
    expect(report.flagged).toBe(0);
    expect(feature(report, 'spend').expectedRows).toBe(1500);
    expect(feature(report, 'spend').bins.find((b) => b.label === 'null')!.expected).toBe(150);
  });

  it('flags a shifted distribution, except where the feature sets a looser driftThreshold', async () => {
    const report = await computeDrift(config, registry, {
      dataset: path.join(repo.dir, 'shifted.parquet'),
      views: ['rider_stats'],
    });
    expect(feature(report, 'spend').flagged).toBe(true);
    expect(feature(report, 'spend').psi!).toBeGreaterThan(1);
    expect(feature(report, 'segment').flagged).toBe(true);
    expect(feature(report, 'big').flagged).toBe(false);
    const tolerant = feature(report, 'tolerant');
    expect(tolerant.threshold).toBe(1000);
    expect(tolerant.psi!).toBeGreaterThan(1);
    expect(tolerant.flagged).toBe(false);
    expect(report.flagged).toBe(2);
  });

  it('compares only the rows in --start/--end', async () => {
    // The first 1000 minutes only: spend values of i < 1000 cover the same range, so no drift.
    const report = await computeDrift(config, registry, {
      dataset: path.join(repo.dir, 'same.parquet'),
      views: ['rider_stats'],
      start: parseTimestamp('2025-06-01T00:00:00Z'),
      end: parseTimestamp('2025-06-01T10:00:00Z'),
    });
    expect(feature(report, 'spend').actualRows).toBe(600);
    await expect(
      computeDrift(config, registry, {
        dataset: path.join(repo.dir, 'same.parquet'),
        views: ['rider_stats'],
        start: parseTimestamp('2030-01-01T00:00:00Z'),
      }),
    ).rejects.toThrow(/rider_stats has no offline rows in \[2030-01-01/);
  });

  it('exits 0 on a CSV dataset with plain feature names, 1 on a shifted one, with the report as JSON', async () => {
    const same = await runCli([
      'drift',
      '--repo',
      repo.dir,
      '--dataset',
      path.join(repo.dir, 'same.csv'),
      '--views',
      'rider_stats',
      '--json',
    ]);
    expect(same.stderr).not.toMatch(/drifted/);
    expect(same.code).toBe(0);
    const parsed = JSON.parse(same.stdout) as DriftReport;
    expect(parsed.flagged).toBe(0);
    expect(feature(parsed, 'segment').column).toBe('segment');

    const shifted = await runCli([
      'drift',
      '--repo',
      repo.dir,
      '--dataset',
      path.join(repo.dir, 'shifted.parquet'),
      '--views',
      'rider_stats',
    ]);
    expect(shifted.code).toBe(1);
    expect(shifted.stdout).toMatch(
      /rider_stats\s+spend\s+float64\s+\d+\.\d{4}\s+0\.2\s+1500\s+4000\s+DRIFTED/,
    );
    expect(shifted.stderr).toMatch(/2 features drifted past the threshold: rider_stats:spend/);
  });

  it('takes a dataset by its id or name in the dataset catalog', async () => {
    const store = await FeatureStore.open(repo.dir, { env });
    let id: string;
    try {
      const entities = path.join(repo.dir, 'entities.parquet');
      await run(
        `COPY (SELECT (i % 200)::BIGINT AS rider_id, TIMESTAMPTZ '2025-06-03 12:00:00+00' AS event_timestamp FROM range(400) t(i)) TO ${quoteString(entities)} (FORMAT parquet)`,
      );
      const dataset = await store.getHistoricalFeatures({
        entities,
        features: ['rider_stats:spend', 'rider_stats:segment'],
        out: path.join(repo.dir, 'from-catalog.parquet'),
        name: 'riders_v1',
      });
      id = dataset.manifest.id;
    } finally {
      await store.close();
    }
    for (const ref of [id, 'riders_v1']) {
      const report = await computeDrift(config, registry, { dataset: ref, views: ['rider_stats'] });
      expect(report.datasetId).toBe(id);
      expect(report.dataset).toBe(path.join(repo.dir, 'from-catalog.parquet'));
      expect(feature(report, 'spend').column).toBe('spend');
      expect(feature(report, 'spend').expectedRows).toBe(400);
      expect(feature(report, 'big').skipped).toBe('not in the dataset');
    }
    await expect(
      computeDrift(config, registry, { dataset: 'riders_v9', views: ['rider_stats'] }),
    ).rejects.toThrow(/no dataset with id or name riders_v9/);
  });

  it("compares an aggregation view's features at the end of the range with the join's", async () => {
    const at = '2025-06-03T12:00:00Z';
    const store = await FeatureStore.open(repo.dir, { env });
    const out = path.join(repo.dir, 'activity.parquet');
    try {
      const entities = path.join(repo.dir, 'riders-at.parquet');
      await run(
        `COPY (SELECT i::BIGINT AS rider_id, TIMESTAMPTZ '${at}' AS event_timestamp FROM range(200) t(i)) TO ${quoteString(entities)} (FORMAT parquet)`,
      );
      await store.getHistoricalFeatures({ entities, features: ['rider_activity:*'], out });
    } finally {
      await store.close();
    }
    const report = await computeDrift(config, registry, {
      dataset: out,
      views: ['rider_activity'],
      start: parseTimestamp('2025-06-02T12:00:00Z'),
      end: parseTimestamp(at),
    });
    for (const name of ['spend_sum_1d', 'count_1d']) {
      const f = feature(report, name);
      // Every rider has events in the day before: 200 entities on both sides, nearly equal windows.
      expect(f.expectedRows, name).toBe(200);
      expect(f.actualRows, name).toBe(200);
      expect(f.psi!, name).toBeLessThan(0.05);
    }
    expect(report.flagged).toBe(0);
    // Twelve hours into the data, the day's windows hold half the events: flagged.
    const early = await computeDrift(config, registry, {
      dataset: out,
      views: ['rider_activity'],
      end: parseTimestamp('2025-06-01T12:00:00Z'),
    });
    expect(feature(early, 'count_1d').flagged).toBe(true);
    expect(feature(early, 'spend_sum_1d').flagged).toBe(true);
  });

  it('refuses unknown views, missing files and datasets without the view', async () => {
    const base = { dataset: path.join(repo.dir, 'same.parquet') };
    await expect(computeDrift(config, registry, { ...base, views: ['nope'] })).rejects.toThrow(
      /unknown feature view nope/,
    );
    await expect(
      computeDrift(config, registry, {
        dataset: path.join(repo.dir, 'missing.parquet'),
        views: ['rider_stats'],
      }),
    ).rejects.toThrow(/missing\.parquet does not exist/);
    const other = path.join(repo.dir, 'other.parquet');
    await run(`COPY (SELECT 1 AS rider_id) TO ${quoteString(other)} (FORMAT parquet)`);
    await expect(computeDrift(config, registry, { dataset: other, views: ['rider_stats'] })).rejects.toThrow(
      /has no column of feature view rider_stats \(expected rider_stats__spend or spend/,
    );
  });
});
