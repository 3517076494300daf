/**
 * `GET /feature-views/:name/drift`: a view's drift against a dataset of the catalog, as `trove
 * drift` computes it; the dataset only by catalog id or name (a file path is not found), an
 * unknown view a 404, and a key needed.
 */
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../../src/feature-store.ts';
import { buildServer, serverOptionsFromConfig } from '../../../src/server/app.ts';
import { FEATURES, type LineageRepo, makeLineageRepo } from './lineage-repo.ts';

const READ = 'read-key-0123456789abcdef';

describe('GET /feature-views/:name/drift', () => {
  let repo: LineageRepo;
  let store: FeatureStore;
  let app: FastifyInstance;
  let file: string;

  beforeAll(async () => {
    repo = await makeLineageRepo({ featureRows: 20_000, entityRows: 5_000 });
    await repo.writeSource(1);
    await repo.apply();
    store = await repo.open();
    await store.compute();
    file = path.join(repo.dir, 'train.parquet');
    await store.getHistoricalFeatures({
      entities: repo.entities,
      features: FEATURES,
      out: file,
      name: 'train',
    });
    app = await buildServer(
      store,
      serverOptionsFromConfig(store.config, { apiKeys: [{ key: READ, scopes: ['read'] }] }),
    );
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await repo?.remove();
  });

  const get = (url: string, key = READ) =>
    app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });

  it('answers what trove drift computes for the view and a dataset named in the catalog', async () => {
    const response = await get('/feature-views/stats/drift?dataset=train');
    expect(response.statusCode).toBe(200);
    const body = response.json() as { features: { view: string; feature: string; psi: number | null }[] };
    const expected = await store.drift({ dataset: 'train', views: ['stats'] });
    expect(body.features.map((f) => [f.view, f.feature, f.psi])).toEqual(
      expected.features.map((f) => [f.view, f.feature, f.psi]),
    );
    expect(body.features.some((f) => f.psi !== null)).toBe(true);
  });

  it('takes no file path, and answers 404 for an unknown dataset or view, 401 without a key', async () => {
    const byPath = await get(`/feature-views/stats/drift?dataset=${encodeURIComponent(file)}`);
    expect(byPath.statusCode).toBe(404);
    expect((await get('/feature-views/stats/drift?dataset=nope')).statusCode).toBe(404);
    expect((await get('/feature-views/nope/drift?dataset=train')).statusCode).toBe(404);
    expect((await get('/feature-views/stats/drift?dataset=train', '')).statusCode).toBe(401);
    expect((await get('/feature-views/stats/drift')).statusCode).toBe(400);
    // A range without the view's data: nothing compared, and why.
    const empty = await get('/feature-views/stats/drift?dataset=train&start=2100-01-01');
    expect(empty.statusCode, empty.body).toBe(200);
    expect(empty.json()).toMatchObject({
      features: [],
      flagged: 0,
      note: expect.stringMatching(/has no offline rows/),
    });
  });
});
