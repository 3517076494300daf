import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../../src/feature-store.ts';
import type { DatasetManifest } from '../../../src/offline/lineage/dataset-manifest.ts';
import type { FeatureSummary } from '../../../src/offline/statistics/feature-statistics.ts';
import { queryRows } from '../offline-test-kit.ts';
import { FEATURES, type LineageRepo, makeLineageRepo } from './lineage-repo.ts';

const QS = { p01: 0.01, p05: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 } as const;

function feature(m: DatasetManifest, name: string): FeatureSummary {
  const f = m.statistics?.features.find((x) => x.name === name);
  if (!f) throw new Error(`no statistics of ${name}`);
  return f;
}

/** The values of a column of the dataset file, read here row by row (the file is small). */
async function column(file: string, name: string): Promise<unknown[]> {
  return (await queryRows(`SELECT "${name}" FROM '${file}'`)).map((r) => r[0]);
}

function expectNumbers(f: FeatureSummary, values: readonly (number | null)[]): void {
  const present = values.filter((v): v is number => v !== null);
  const sorted = [...present].sort((a, b) => a - b);
  expect(f).toMatchObject({ count: present.length, nulls: values.length - present.length });
  // int64 extremes are decimal text, every digit kept.
  const shown = (v: number | undefined) => (f.type === 'int64' ? String(v) : v);
  expect(f.min).toBe(shown(sorted[0]));
  expect(f.max).toBe(shown(sorted.at(-1)));
  const mean = present.reduce((s, v) => s + v, 0) / present.length;
  const variance = present.reduce((s, v) => s + (v - mean) ** 2, 0) / (present.length - 1);
  expect(f.mean! / mean).toBeCloseTo(1, 9);
  expect(f.stddev! / Math.sqrt(variance)).toBeCloseTo(1, 9);
  for (const [key, q] of Object.entries(QS)) {
    const exact = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
    // Within one log-scale bin of the value.
    expect(Math.abs(f.quantiles![key as keyof typeof QS]! - exact)).toBeLessThanOrEqual(
      0.0443 * Math.abs(exact) + 2 ** -31,
    );
  }
  expect(f.histogram!.reduce((s, b) => s + b.count, 0)).toBe(present.length);
  const distinct = new Set(present).size;
  expect(Math.abs(f.distinct - distinct)).toBeLessThanOrEqual(0.05 * distinct + 2);
}

describe("a training dataset's manifest", () => {
  let repo: LineageRepo;
  let store: FeatureStore;

  beforeAll(async () => {
    repo = await makeLineageRepo({ featureRows: 20_000, entityRows: 3_000 });
    await repo.writeSource(1);
    await repo.apply();
    store = await repo.open();
    await store.compute();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await repo?.remove();
  });

  it('records the statistics of its feature columns once written, as computed here from the file', async () => {
    for (const format of ['parquet', 'csv'] as const) {
      const out = path.join(repo.dir, `train.${format}`);
      const dataset = await store.getHistoricalFeatures({
        entities: repo.entities,
        features: FEATURES,
        out,
      });
      // The manifest is written first, without them; they are added to it right after.
      expect(dataset.manifest.statistics).toBeNull();
      const manifest = await dataset.statisticsRecorded;
      expect(manifest).toEqual({ ...dataset.manifest, statistics: manifest.statistics });
      expect(await (await store.datasets()).get(manifest.id)).toEqual(manifest);
      expect(manifest.statistics?.rows).toBe(3_000);
      expect(manifest.statistics?.features.map((f) => [f.name, f.type])).toEqual([
        ['rate', 'float64'],
        ['trips', 'int64'],
        ['label_text', 'string'],
      ]);
      // The rows the join found nothing for are nulls of every feature.
      expectNumbers(feature(manifest, 'rate'), (await column(out, 'rate')) as (number | null)[]);
      expectNumbers(
        feature(manifest, 'trips'),
        (await column(out, 'trips')).map((v) => (v === null ? null : Number(v))),
      );
      const labels = (await column(out, 'label_text')) as (string | null)[];
      const counts = new Map<string, number>();
      for (const l of labels) if (l !== null) counts.set(l, (counts.get(l) ?? 0) + 1);
      const label = feature(manifest, 'label_text');
      expect(label).toMatchObject({ count: labels.length - labels.filter((l) => l === null).length });
      expect(label.topValues).toEqual(
        [...counts]
          .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
          .slice(0, 10)
          .map(([value, count]) => ({ value, count })),
      );
    }
  });

  it('answers the dataset statistics without reading the file, and older manifests from it', async () => {
    const out = path.join(repo.dir, 'kept.parquet');
    const dataset = await store.getHistoricalFeatures({
      entities: repo.entities,
      features: FEATURES,
      out,
      name: 'kept',
    });
    // Asked while they are being recorded: the answer waits for them.
    const answered = await store.datasetStatistics('kept');
    const manifest = await dataset.statisticsRecorded;
    expect(manifest.statistics).not.toBeNull();
    expect(answered).toEqual({ dataset: manifest.id, file: out, ...manifest.statistics });
    // Read from the manifest: the file is not needed.
    await rename(out, `${out}.away`);
    expect(await store.datasetStatistics(manifest.id)).toEqual(answered);
    await rename(`${out}.away`, out);
    // A manifest from before datasets recorded statistics: computed from the file, the same figures.
    const file = path.join(store.config.offlineStorePath, 'datasets', `${manifest.id}.json`);
    const { statistics: _, ...older } = JSON.parse(await readFile(file, 'utf8')) as DatasetManifest;
    await writeFile(file, JSON.stringify(older));
    // The same figures, but for the rounding of sums that DuckDB adds up in any order.
    const rounded = (s: typeof answered) => ({
      ...s,
      features: s.features.map((f) => ({
        ...f,
        mean: f.mean === null ? null : Number(f.mean.toPrecision(12)),
        stddev: f.stddev === null ? null : Number(f.stddev.toPrecision(12)),
      })),
    });
    expect(rounded(await store.datasetStatistics(manifest.id))).toEqual(rounded(answered));
  });

  it('asked for none records none, and answers them from the file', async () => {
    const out = path.join(repo.dir, 'bare.parquet');
    const dataset = await store.getHistoricalFeatures({
      entities: repo.entities,
      features: FEATURES,
      out,
      statistics: false,
    });
    const manifest = await dataset.statisticsRecorded;
    expect(manifest).toEqual(dataset.manifest);
    expect(manifest.statistics).toBeNull();
    const answered = await store.datasetStatistics(manifest.id);
    expect(answered.rows).toBe(3_000);
    expectNumbers(
      answered.features.find((f) => f.name === 'rate')!,
      (await column(out, 'rate')) as (number | null)[],
    );
  });

  it('of an Arrow file records none', async () => {
    const dataset = await store.getHistoricalFeatures({
      entities: repo.entities,
      features: FEATURES,
      out: path.join(repo.dir, 'train.arrow'),
    });
    expect(await dataset.statisticsRecorded).toEqual(dataset.manifest);
    expect(dataset.manifest.statistics).toBeNull();
  });
});
