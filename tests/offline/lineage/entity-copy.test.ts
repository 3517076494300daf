import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../../src/feature-store.ts';
import { FEATURES, type LineageRepo, makeLineageRepo } from './lineage-repo.ts';

/** Entity rows that are no file (in memory, SQL) are kept in the catalog, so the dataset can be rebuilt. */
describe('datasets from entity rows given in memory or as SQL', () => {
  let repo: LineageRepo;
  let store: FeatureStore;

  beforeAll(async () => {
    repo = await makeLineageRepo({ featureRows: 20_000, entityRows: 1_000 });
    await repo.writeSource(1);
    await repo.apply();
    store = await repo.open();
    await store.compute();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await repo?.remove();
  });

  it('keeps in-memory rows in the catalog and rebuilds the same bytes from them', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({
      driver_id: BigInt((i * 37) % 5000),
      event_timestamp: new Date(Date.UTC(2024, 2, 2 + (i % 8), i % 24)),
      label: i % 3 === 0,
    }));
    const { manifest } = await store.getHistoricalFeatures({
      entities: rows,
      features: FEATURES,
      out: path.join(repo.dir, 'mem.parquet'),
    });
    expect(manifest.entities).toMatchObject({
      kind: 'copy',
      path: `${manifest.id}/entities.parquet`,
      rows: 300,
    });
    const rebuilt = await (await store.datasets()).reproduce(
      manifest.id,
      path.join(repo.dir, 'mem-again.parquet'),
    );
    expect(rebuilt.identical).toBe(true);
  });

  it('keeps the rows a SQL entity query gave, and the partitions it read', async () => {
    const { manifest } = await store.getHistoricalFeatures({
      entities: {
        sql: 'SELECT driver_id, event_timestamp FROM stats ORDER BY driver_id, event_timestamp LIMIT 500',
      },
      features: FEATURES,
      out: path.join(repo.dir, 'sql.parquet'),
    });
    expect(manifest.entities).toMatchObject({ kind: 'copy', rows: 500 });
    // The query read every partition of the view, the join those in range.
    expect(manifest.reads.some((r) => r.from === null && r.to === null)).toBe(true);
    await repo.writeSource(2);
    await store.compute();
    const rebuilt = await (await store.datasets()).reproduce(
      manifest.id,
      path.join(repo.dir, 'sql-again.parquet'),
    );
    expect(rebuilt.identical).toBe(true);
  });
});
