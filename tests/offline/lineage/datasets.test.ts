import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../../src/feature-store.ts';
import { writeHistoricalFile } from '../../../src/offline/historical-output.ts';
import type { DatasetManifest } from '../../../src/offline/lineage/dataset-manifest.ts';
import { FEATURES, type LineageRepo, makeLineageRepo, UNRELATED_VIEW } from './lineage-repo.ts';

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
const DAY_MS = 86_400_000;

describe('training dataset lineage', () => {
  let repo: LineageRepo;
  let store: FeatureStore;
  let manifest: DatasetManifest;
  let original: string;

  beforeAll(async () => {
    repo = await makeLineageRepo();
    await repo.writeSource(1);
    await repo.apply();
    store = await repo.open();
    await store.compute();
    original = path.join(repo.dir, 'train.parquet');
    const dataset = await store.getHistoricalFeatures({
      entities: repo.entities,
      features: FEATURES,
      out: original,
      name: 'train',
    });
    manifest = dataset.manifest;
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await repo?.remove();
  });

  it('records which code and which data made the dataset', async () => {
    expect(manifest.name).toBe('train');
    expect(manifest.registry.version).toBe(1);
    expect(manifest.output).toMatchObject({
      rows: 100_000,
      format: 'parquet',
      sha256: await sha256(original),
    });
    expect(manifest.entities).toMatchObject({ kind: 'file', path: repo.entities, rows: 100_000 });
    expect(manifest.features.map((f) => `${f.view}:${f.feature}`)).toEqual(FEATURES);
    expect(manifest.views).toEqual([
      { name: 'stats', kind: 'batch', definitionHash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
    // Ten days of events, each its own partition, every file fingerprinted.
    expect(manifest.partitions.length).toBeGreaterThanOrEqual(10);
    for (const p of manifest.partitions) {
      expect(p.view).toBe('stats');
      for (const f of p.files) expect(f.fingerprint).toMatch(/^(sha256|sampled):[0-9a-f]{64}$/);
    }
    expect(manifest.sources).toEqual([
      expect.objectContaining({
        source: 'stats_src',
        kind: 'parquet',
        path: path.join(repo.dir, 'data', 'stats.parquet'),
      }),
    ]);
    // The temp repo is no git checkout.
    expect(manifest.code).toBeNull();
    expect(manifest.troveVersion).toMatch(/^\d+\.\d+\.\d+/);
    const catalog = await store.datasets();
    expect((await catalog.list()).map((d) => d.id)).toEqual([manifest.id]);
    expect((await catalog.get('train')).id).toBe(manifest.id);
    expect(await catalog.verify(manifest.id)).toMatchObject({
      unchanged: true,
      changes: [],
      reproducible: true,
    });
  });

  it('builds the same bytes twice from the same inputs', async () => {
    const again = await store.getHistoricalFeatures({
      entities: repo.entities,
      features: FEATURES,
      out: path.join(repo.dir, 'again.parquet'),
    });
    expect(again.manifest.output.sha256).toBe(manifest.output.sha256);
    expect(again.manifest.id).not.toBe(manifest.id);
    // DuckDB's thread count changes how the work is split, not the bytes written.
    const oneThread = await writeHistoricalFile(
      { ...store.config, offlineStore: { ...store.config.offlineStore, threads: 1 } },
      await store.registry(),
      { entities: repo.entities, features: FEATURES },
      path.join(repo.dir, 'one-thread.parquet'),
    );
    expect(await sha256(oneThread.path)).toBe(manifest.output.sha256);
  });

  it('reproduces the dataset byte for byte after an unrelated apply', async () => {
    expect(await repo.apply('7d', UNRELATED_VIEW)).toBe(2);
    const catalog = await store.datasets();
    const result = await catalog.reproduce('train', path.join(repo.dir, 'after-apply.parquet'));
    expect(result).toMatchObject({ identical: true, rows: 100_000 });
    expect(await sha256(result.path)).toBe(manifest.output.sha256);
    const report = await catalog.verify(manifest.id);
    // The registry moved on; the view the dataset read did not.
    expect(report.changes).toEqual([expect.objectContaining({ kind: 'registry', name: 'version 1' })]);
  });

  it('reproduces the dataset byte for byte after a recompute replaced the partitions it read', async () => {
    await repo.writeSource(2);
    await store.compute({ views: ['stats'] });
    // The live data did change: a new dataset from it has other bytes.
    const fresh = await store.getHistoricalFeatures({
      entities: repo.entities,
      features: FEATURES,
      out: path.join(repo.dir, 'fresh.parquet'),
    });
    expect(fresh.manifest.output.sha256).not.toBe(manifest.output.sha256);
    const catalog = await store.datasets();
    const result = await catalog.reproduce(manifest.id, path.join(repo.dir, 'after-recompute.parquet'));
    expect(result.identical).toBe(true);
    expect(await sha256(result.path)).toBe(manifest.output.sha256);
  });

  it('verify names the changed source file and the replaced partitions', async () => {
    const report = await (await store.datasets()).verify('train');
    expect(report.unchanged).toBe(false);
    expect(report.reproducible).toBe(true);
    expect(report.changes).toContainEqual({
      kind: 'source',
      name: path.join(repo.dir, 'data', 'stats.parquet'),
      detail: 'file of source stats_src changed',
    });
    const partitions = report.changes.filter((c) => c.kind === 'partition');
    expect(partitions.length).toBe(manifest.partitions.length);
    expect(partitions[0]).toMatchObject({
      name: `stats date=${manifest.partitions[0]!.date}`,
      detail: 'replaced by a later compute; the version read is retained',
    });
    expect(report.output.status).toBe('unchanged');
  });

  it('verify names a changed view definition, and reproduce still uses the definition in force', async () => {
    expect(await repo.apply('1d', UNRELATED_VIEW)).toBe(3);
    const catalog = await store.datasets();
    const report = await catalog.verify('train');
    expect(report.changes).toContainEqual({ kind: 'view', name: 'stats', detail: 'definition changed' });
    expect(report.changes.filter((c) => c.kind === 'view')).toHaveLength(1);
    const result = await catalog.reproduce('train', path.join(repo.dir, 'after-ttl.parquet'));
    expect(result.identical).toBe(true);
  });

  it('keeps retained versions within the retention period, then fails to reproduce once they expired', async () => {
    const catalog = await store.datasets();
    const kept = await store.gc();
    expect(kept.removed).toBe(0);
    expect(kept.retained).toBeGreaterThanOrEqual(manifest.partitions.length);
    // 31 days later: the versions the recompute replaced are past the default 30 days, and so is
    // every dataset that read them.
    const later = await store.gc({ now: Date.now() + 31 * DAY_MS });
    expect(later.removed).toBeGreaterThanOrEqual(manifest.partitions.length);
    await expect(catalog.reproduce('train', path.join(repo.dir, 'expired.parquet'))).rejects.toThrow(
      /cannot be reproduced: the version it read of partitions stats date=2024-03-01, .* is no longer in the offline store — a later compute replaced it and its retained copy expired \(offlineStore\.retention is 30d/,
    );
    expect((await catalog.verify('train')).reproducible).toBe(false);
  });
});
