/**
 * The read-only registry endpoints show on-demand views as registered: where the transform lives
 * (module and export), never its code. A registry file naming a module outside the repo is refused.
 */
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OnDemandView } from '../../src/definitions/on-demand/on-demand-view.ts';
import { TroveError } from '../../src/errors.ts';
import { Registry } from '../../src/registry/registry.ts';
import { readRegistryFile } from '../../src/registry/registry-file.ts';
import { startTestServer, type TestServer, testDefinitions } from '../server/server-fixture.ts';

const FARE_RATIO: OnDemandView = {
  kind: 'onDemand',
  name: 'fare_ratio',
  request: [{ name: 'fare', type: 'float64' }],
  inputs: ['driver_hourly_stats:acc_rate', 'driver_profile:rating'],
  features: [{ name: 'fare_vs_rating', type: 'float64' }],
  mode: 'row',
  online: true,
  offline: true,
  transform: { module: 'lib/transforms.ts', export: 'fareRatio', property: null },
};

const BUCKET: OnDemandView = {
  kind: 'onDemand',
  name: 'fare_bucket',
  request: [],
  inputs: ['fare_ratio:*', 'customer_profile:current_balance'],
  features: [{ name: 'bucket', type: 'string' }],
  mode: 'columns',
  online: true,
  offline: true,
  transform: { module: 'views.ts', export: 'fareBucket', property: 'transform' },
};

describe('registry endpoints with on-demand views', () => {
  let server: TestServer;

  beforeAll(async () => {
    const definitions = testDefinitions();
    definitions.featureViews.push(FARE_RATIO, BUCKET);
    definitions.featureServices.push({ name: 'pricing', features: ['fare_ratio:*', 'fare_bucket:bucket'] });
    server = await startTestServer({ definitions });
  });
  afterAll(() => server?.close());

  it('list and get them with their transform location', async () => {
    const list = await server.get('/feature-views');
    expect(list.status).toBe(200);
    const views = (list.json as { featureViews: { name: string; kind: string }[] }).featureViews;
    expect(views.filter((v) => v.kind === 'onDemand').map((v) => v.name)).toEqual([
      'fare_ratio',
      'fare_bucket',
    ]);

    const one = await server.get('/feature-views/fare_ratio');
    expect(one.status).toBe(200);
    expect(one.json).toEqual(FARE_RATIO);
    const bucket = await server.get('/feature-views/fare_bucket');
    expect((bucket.json as OnDemandView).transform).toEqual({
      module: 'views.ts',
      export: 'fareBucket',
      property: 'transform',
    });

    const all = await server.get('/registry');
    expect(all.status).toBe(200);
    expect(all.text).toContain('"module":"lib/transforms.ts"');
    expect(all.text).not.toMatch(/=>/);
  });

  it('give an on-demand view the join keys of the views it reads, first seen first', async () => {
    const registry = await server.store.registry();
    const keys = (name: string) => registry.joinKeysOf(registry.featureView(name)!).map((k) => k.name);
    expect(keys('fare_ratio')).toEqual(['driver_id']);
    // Through fare_ratio first, then customer_profile.
    expect(keys('fare_bucket')).toEqual(['driver_id', 'customer_id']);
    expect(registry.storedViews().map((v) => v.name)).not.toContain('fare_ratio');
  });

  it('a request-only on-demand view has no join keys', () => {
    const only: OnDemandView = { ...FARE_RATIO, name: 'only_request', inputs: [] };
    const registry = Registry.of('p', { ...testDefinitions(), featureViews: [only] });
    expect(registry.joinKeysOf(only)).toEqual([]);
  });
});

describe('a registry file naming a transform module outside the repo', () => {
  it('is refused as corrupt', async () => {
    const file = path.join(tmpdir(), `trove-registry-${process.pid}-${Date.now()}.json`);
    const objects = testDefinitions();
    objects.featureViews.push({
      ...FARE_RATIO,
      transform: { ...FARE_RATIO.transform, module: '../../x.ts' },
    });
    await writeFile(
      file,
      JSON.stringify({ formatVersion: 1, project: 'p', version: 1, hash: '', appliedAt: null, objects }),
    );
    const err = await readRegistryFile(file, 'p')
      .catch((e: unknown) => e)
      .finally(() => rm(file, { force: true }));
    expect(err).toBeInstanceOf(TroveError);
    expect((err as TroveError).code).toBe('REGISTRY_CORRUPT');
    expect((err as TroveError).message).toContain('transform.module');
  });
});
