/**
 * On-demand views online, over HTTP against the real Redis: request fields from `entities`,
 * inputs from a materialized aggregation view and from another on-demand view (column form),
 * services and full names; a missing request field is a 400; a throwing, a wrongly typed and a
 * runaway transform each fail only their request with a 422 naming view and row, and the server
 * goes on answering.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/trove-config.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import { applyRepo } from '../../../src/registry/apply-repo.ts';
import { buildServer, serverOptionsFromConfig } from '../../../src/server/app.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { REDIS_URL } from '../../server/server-fixture.ts';
import { at, DEFS, HOUR, NOW, TRANSFORMS, TRIPS, VIEWS_TS } from './on-demand-fixture.ts';

const id = randomUUID().slice(0, 8);
const env = {
  ...process.env,
  REDIS_URL,
  TROVE_REDIS_KEY_PREFIX: `trove-test-odfv-${id}`,
  TROVE_API_KEYS: '',
};
let repo: TempRepo;
let store: FeatureStore;
let app: FastifyInstance;

async function read(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const answer = await app.inject({ method: 'POST', url: '/get-online-features', payload: body as object });
  return { status: answer.statusCode, json: answer.json() as Record<string, unknown> };
}

const valuesOf = (json: Record<string, unknown>) =>
  (json.results as { values: unknown[] }[]).map((c) => c.values);

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: odfv_${id}\nonDemand:\n  offlineTimeoutMs: 200\n`);
  await repo.write('data/trips.csv', TRIPS);
  await repo.write('defs.yaml', DEFS);
  await repo.write('transforms.ts', TRANSFORMS);
  await repo.write('views.ts', VIEWS_TS);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
  await store.materialize({ start: new Date(NOW - 10 * 24 * HOUR), end: new Date(NOW), log: () => {} });
  app = await buildServer(store, serverOptionsFromConfig(store.config, { env }));
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.teardown();
  await store?.close();
  await repo?.remove();
});

describe('on-demand views online', () => {
  it('compute from request fields and inputs, chained, in request order', async () => {
    const answer = await read({
      entities: { driver_id: [1, 2, 3], fare: [25, 8, 5] },
      features: ['fare_bucket:bucket', 'fare_ratio:fare_vs_mean_7d'],
    });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect((answer.json.metadata as { feature_names: string[] }).feature_names).toEqual([
      'driver_id',
      'fare',
      'bucket',
      'fare_vs_mean_7d',
    ]);
    const [, , bucket, ratio] = valuesOf(answer.json);
    expect(ratio).toEqual([2, 1, null]);
    expect(bucket).toEqual(['dear', 'cheap', null]);
    const statuses = (answer.json.results as { statuses: string[] }[])[3]!.statuses;
    expect(statuses).toEqual(['PRESENT', 'PRESENT', 'NULL_VALUE']);
  });

  it('work in services with full feature names', async () => {
    const answer = await read({
      entities: { driver_id: [1], fare: [25] },
      feature_service: 'pricing',
      full_feature_names: true,
    });
    expect(answer.status).toBe(200);
    expect((answer.json.metadata as { feature_names: string[] }).feature_names).toEqual([
      'driver_id',
      'fare',
      'fare_ratio__fare_vs_mean_7d',
      'driver_trip_stats__fare_mean_7d',
      'fare_bucket__bucket',
    ]);
    expect(valuesOf(answer.json).slice(2)).toEqual([[2], [12.5], ['dear']]);
  });

  it('answer 400 naming a missing request field', async () => {
    const answer = await read({ entities: { driver_id: [1] }, features: ['fare_ratio:fare_vs_mean_7d'] });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatchObject({ code: 'MISSING_REQUEST_FIELD' });
    expect((answer.json.error as { message: string }).message).toContain('fare');
  });

  it('fail only their request when a transform throws, returns a wrong type or runs away', async () => {
    const thrown = await read({ entities: { driver_id: [1, 2], fare: [5, 500] }, features: ['boom:x'] });
    expect(thrown.status).toBe(422);
    expect(thrown.json.error).toEqual({
      code: 'TRANSFORM_FAILED',
      message: 'on-demand view boom, row 1: Error: fare out of range, token=s3cr3t',
    });
    const wrong = await read({ entities: { driver_id: [1], fare: [5] }, features: ['wrong:x'] });
    expect(wrong.status).toBe(422);
    expect((wrong.json.error as { message: string }).message).toMatch(
      /^on-demand view wrong, row 0: feature x: expected float64/,
    );
    const started = Date.now();
    const slow = await read({ entities: { driver_id: [1], fare: [5] }, features: ['slow:x'] });
    expect(slow.status).toBe(422);
    expect((slow.json.error as { message: string }).message).toMatch(/time limit of 50 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    // Still serving.
    const after = await read({
      entities: { driver_id: [1], fare: [25] },
      features: ['fare_ratio:fare_vs_mean_7d'],
    });
    expect(after.status).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('fail only their training dataset over HTTP, the server answering afterwards', async () => {
    const dataset = (features: string[]) =>
      app.inject({
        method: 'POST',
        url: '/get-historical-features',
        payload: {
          entities: { driver_id: [1, 2], fare: [5, 500], event_timestamp: [at(1), at(1)] },
          features,
        },
      });
    for (const view of ['boom', 'wrong', 'slow']) {
      const failed = await dataset([`${view}:x`]);
      expect(failed.statusCode, view).toBe(422);
      expect(failed.json().error.code).toBe('TRANSFORM_FAILED');
      expect(failed.json().error.message).toMatch(new RegExp(`^on-demand view ${view}`));
    }
    const fine = await dataset(['fare_ratio:fare_vs_mean_7d']);
    expect(fine.statusCode).toBe(200);
  }, 30_000);
});
