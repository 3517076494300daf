import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../../src/feature-store.ts';
import type { DatasetManifest } from '../../../src/offline/lineage/dataset-manifest.ts';
import { buildServer, serverOptionsFromConfig } from '../../../src/server/app.ts';
import { FEATURES, type LineageRepo, makeLineageRepo } from './lineage-repo.ts';

const READ = 'read-key-0123456789abcdef';
const WRITE = 'write-key-0123456789abcdef';

describe('GET /datasets', () => {
  let repo: LineageRepo;
  let store: FeatureStore;
  let app: FastifyInstance;
  let manifests: DatasetManifest[];

  beforeAll(async () => {
    repo = await makeLineageRepo({ featureRows: 20_000, entityRows: 5_000 });
    await repo.writeSource(1);
    await repo.apply();
    store = await repo.open();
    await store.compute();
    manifests = [];
    for (const name of ['first', 'second']) {
      const dataset = await store.getHistoricalFeatures({
        entities: repo.entities,
        features: FEATURES,
        out: path.join(repo.dir, `${name}.parquet`),
        name,
      });
      manifests.push(await dataset.statisticsRecorded);
    }
    app = await buildServer(
      store,
      serverOptionsFromConfig(store.config, {
        apiKeys: [
          { key: READ, scopes: ['read'] },
          { key: WRITE, scopes: ['write'] },
        ],
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await store?.close();
    await repo?.remove();
  });

  const get = (url: string, key = READ) => app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });

  it('lists the datasets, newest first', async () => {
    const response = await get('/datasets');
    expect(response.statusCode).toBe(200);
    const body = response.json() as { datasets: { id: string; name: string; rows: number }[] };
    expect(body.datasets.map((d) => [d.id, d.name, d.rows])).toEqual([
      [manifests[1]!.id, 'second', 5_000],
      [manifests[0]!.id, 'first', 5_000],
    ]);
  });

  it('answers one manifest by id or by name', async () => {
    const byId = await get(`/datasets/${manifests[0]!.id}`);
    expect(byId.statusCode).toBe(200);
    expect(byId.json()).toEqual(manifests[0]);
    const byName = await get('/datasets/second');
    expect(byName.json()).toMatchObject({ id: manifests[1]!.id, output: manifests[1]!.output });
  });

  it('answers 404 for an unknown dataset and 401/403 without the read scope', async () => {
    for (const unknown of ['nope', 'ds-20000101-000000-00000000', '..%2F..%2Fetc']) {
      const response = await get(`/datasets/${unknown}`);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'UNKNOWN_DATASET' } });
    }
    expect((await app.inject({ method: 'GET', url: '/datasets' })).statusCode).toBe(401);
    expect((await get('/datasets', WRITE)).statusCode).toBe(403);
  });

  it('POST /datasets saves a dataset in the catalog (write scope) that reproduces byte for byte', async () => {
    const body = {
      entities: {
        driver_id: [1, 2, 3, 1],
        event_timestamp: [
          '2024-03-05T00:00:00Z',
          '2024-03-06T12:00:00Z',
          '2024-03-09T00:00:00',
          '2024-03-02T00:00:00Z',
        ],
        label: [true, false, true, false],
      },
      features: FEATURES,
      name: 'over-http',
    };
    const post = (key: string, payload: unknown) =>
      app.inject({
        method: 'POST',
        url: '/datasets',
        payload: payload as object,
        headers: { 'x-api-key': key },
      });
    expect((await post(READ, body)).statusCode).toBe(403);
    const saved = await post(WRITE, body);
    expect(saved.statusCode).toBe(201);
    const manifest = saved.json() as DatasetManifest;
    expect(manifest).toMatchObject({
      name: 'over-http',
      entities: { kind: 'copy', rows: 4 },
      output: { rows: 4 },
    });
    expect(manifest.output.path).toBe(
      path.join(store.config.offlineStorePath, 'datasets', manifest.id, 'dataset.parquet'),
    );
    // Answered as first written; the statistics are added right after, and asking for them waits.
    expect(manifest.statistics).toBeNull();
    const stats = await get('/datasets/over-http/stats');
    expect(stats.statusCode).toBe(200);
    expect(stats.json()).toMatchObject({ dataset: manifest.id, rows: 4 });
    const recorded = (await get('/datasets/over-http')).json() as DatasetManifest;
    expect(recorded).toEqual({ ...manifest, statistics: recorded.statistics });
    expect(recorded.statistics?.rows).toBe(4);
    const rebuilt = await (await store.datasets()).reproduce(
      'over-http',
      path.join(repo.dir, 'http-again.parquet'),
    );
    expect(rebuilt.identical).toBe(true);
    const bare = await post(WRITE, { ...body, name: 'bare', statistics: false });
    expect(bare.statusCode).toBe(201);
    expect((bare.json() as DatasetManifest).statistics).toBeNull();
    expect((await post(WRITE, { ...body, statistics: 'no' })).statusCode).toBe(400);
    const bad = await post(WRITE, { ...body, features: ['stats:nope'] });
    expect(bad.statusCode).toBe(404);
    const badName = await post(WRITE, { ...body, name: '../x' });
    expect(badName.statusCode).toBe(400);
    expect(badName.json()).toMatchObject({ error: { code: 'INVALID_DATASET_NAME' } });
  });
});
