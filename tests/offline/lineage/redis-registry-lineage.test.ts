/**
 * With the registry in Redis, a training dataset records the registry version it was built with,
 * and the catalog reproduces it from the Redis history after later applies, as with a file.
 */
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../../src/feature-store.ts';
import { createRegistryClient } from '../../../src/registry/redis-registry-client.ts';
import { FEATURES, type LineageRepo, makeLineageRepo } from './lineage-repo.ts';

const PREFIX = `trove-test-registry-${randomUUID().slice(0, 8)}`;

describe('training dataset lineage with the registry in Redis', () => {
  let repo: LineageRepo;
  let store: FeatureStore;

  beforeAll(async () => {
    repo = await makeLineageRepo({
      featureRows: 5_000,
      entityRows: 1_000,
      config: `registry: online?prefix=${PREFIX}\n`,
    });
    await repo.writeSource(1);
    expect(await repo.apply()).toBe(1);
    store = await repo.open();
    await store.compute();
  }, 120_000);

  afterAll(async () => {
    if (store?.config.registryRedis) {
      const client = createRegistryClient(store.config.registryRedis);
      await client.del(`{${PREFIX}}:current`, `{${PREFIX}}:version`, `{${PREFIX}}:history`);
      client.disconnect();
    }
    await store?.close();
    await repo?.remove();
  });

  it('reproduces a dataset from the version it was built with, after an apply moved on', async () => {
    const dataset = await store.getHistoricalFeatures({
      entities: repo.entities,
      features: FEATURES,
      out: path.join(repo.dir, 'train.parquet'),
      name: 'train',
    });
    expect(dataset.manifest.registry.version).toBe(1);
    // The registry is not a file in the repo.
    await expect(stat(path.join(repo.dir, '.trove', 'registry.json'))).rejects.toThrow(/ENOENT/);

    // A changed ttl changes the view the dataset read: reproducing needs version 1 from the history.
    expect(await repo.apply('3d')).toBe(2);
    const catalog = await store.datasets();
    const report = await catalog.verify('train');
    expect(report.changes).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'registry', name: 'version 1' })]),
    );
    const again = await catalog.reproduce('train', path.join(repo.dir, 'again.parquet'));
    expect(again).toMatchObject({ identical: true, rows: 1_000 });
    // The store learns of the apply made through another connection within a second or so.
    const deadline = Date.now() + 2000;
    while ((await store.registry()).version !== 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await store.registry()).version).toBe(2);
    expect(await store.registryStore.history()).toEqual([
      expect.objectContaining({ version: 1 }),
      expect.objectContaining({ version: 2 }),
    ]);
  });
});
