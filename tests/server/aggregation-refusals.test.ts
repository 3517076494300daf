/**
 * Until aggregation views are served online, every online stage refuses them with a specific
 * error and writes nothing: materialize and materialize-incremental naming one, a push online to a
 * source feeding one, an online read of their features; over HTTP these are 400s. A push offline
 * to such a source is taken. Materializing every
 * view (the command, the API, the worker) skips them and says so. Training datasets serve them.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaterializerWorker } from '../../materializer/worker.ts';
import { loadConfig } from '../../src/config/trove-config.ts';
import { pushFolder } from '../../src/definitions/source-sql.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { buildServer, serverOptionsFromConfig } from '../../src/server/app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';
import { errorOf, jsonText, REDIS_URL } from './server-fixture.ts';

const DEFINITIONS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: trips
    kind: csv
    path: data/trips.csv
    timestampField: event_timestamp
  - name: trip_push
    kind: push
    timestampField: event_timestamp
featureViews:
  - name: driver_fares
    entities: [driver]
    source: trips
    features: [{ name: fare, type: float64 }]
  - name: trip_aggs
    kind: aggregation
    entities: [driver]
    source: trips
    aggregations:
      - { column: fare, function: sum, windows: [1h] }
      - { function: count, windows: [1d] }
  - name: push_fares
    entities: [driver]
    source: trip_push
    features: [{ name: fare, type: float64 }]
  - name: push_aggs
    kind: aggregation
    entities: [driver]
    source: trip_push
    aggregations:
      - { column: fare, function: max, windows: [1d] }
`;

const TRIPS = `driver_id,event_timestamp,fare
1,2024-01-01T10:00:00Z,10.0
1,2024-01-01T10:30:00Z,5.5
2,2024-01-01T11:00:00Z,7.0
`;

const START = new Date('2024-01-01T00:00:00Z');
const END = new Date('2024-01-02T00:00:00Z');
const NOT_MATERIALIZED =
  'feature view trip_aggs is an aggregation view; materializing aggregation views into the online store is not supported yet';
const NOT_PUSHED =
  'push source trip_push feeds aggregation view push_aggs; pushing to the source of an aggregation view is not supported yet';
const NOT_SERVED =
  'feature view trip_aggs is an aggregation view; serving aggregation views online is not supported yet; training datasets can use their features';

const id = randomUUID().slice(0, 8);
const env = { ...process.env, REDIS_URL, TROVE_REDIS_KEY_PREFIX: `trove-test-agg-${id}`, TROVE_API_KEYS: '' };
let repo: TempRepo;
let store: FeatureStore;
let app: FastifyInstance;
let base: string;

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; json: unknown; bytes: Uint8Array }> {
  const res = await fetch(base + url, {
    method: 'POST',
    body: jsonText(body),
    headers: { 'content-type': 'application/json' },
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    json = undefined;
  }
  return { status: res.status, json, bytes };
}

function errorCode(answer: { status: number; json: unknown }): { code: string; message: string } {
  return errorOf({ status: answer.status, json: answer.json, headers: new Headers(), text: '' });
}

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: agg_refusals_${id}\n`);
  await repo.write('definitions.yaml', DEFINITIONS);
  await repo.write('data/trips.csv', TRIPS);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
  app = await buildServer(store, serverOptionsFromConfig(store.config, { env }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.teardown().catch(() => undefined);
  await store?.close();
  await repo?.remove();
});

describe('materializing', () => {
  it('refuses an aggregation view named in materialize and materialize-incremental', async () => {
    await expect(store.materialize({ start: START, end: END, views: ['trip_aggs'] })).rejects.toMatchObject({
      code: 'AGGREGATION_VIEW_NOT_ONLINE',
      status: 400,
      message: NOT_MATERIALIZED,
    });
    await expect(
      store.materializeIncremental({ end: END, views: ['driver_fares', 'trip_aggs'] }),
    ).rejects.toMatchObject({ message: NOT_MATERIALIZED });
    // Refused before any view was written: the batch view named beside it has no online value.
    const read = await store.getOnlineFeatures({
      entities: { driver_id: [1] },
      features: ['driver_fares:fare'],
    });
    expect(read.results[1]?.statuses).toEqual(['NOT_FOUND']);
  });

  it('skips aggregation views when materializing every view, and says so', async () => {
    const lines: string[] = [];
    const results = await store.materialize({
      start: START,
      end: END,
      log: (message, fields) => lines.push(`${message} ${JSON.stringify(fields)}`),
      progressBar: false,
    });
    expect(results.map((r) => r.view).sort()).toEqual(['driver_fares', 'push_fares']);
    expect(lines).toContain(
      'skipping aggregation view: materializing aggregation views is not supported yet {"view":"trip_aggs"}',
    );
    expect(lines).toContain(
      'skipping aggregation view: materializing aggregation views is not supported yet {"view":"push_aggs"}',
    );
    const read = await store.getOnlineFeatures({
      entities: { driver_id: [1] },
      features: ['driver_fares:fare'],
    });
    expect(read.results[1]?.values).toEqual([5.5]);
  });

  it('answers 400 over HTTP for a named aggregation view, and skips it otherwise', async () => {
    const named = await post('/materialize', {
      start_ts: START.toISOString(),
      end_ts: END.toISOString(),
      feature_views: ['trip_aggs'],
    });
    expect(named.status).toBe(400);
    expect(errorCode(named)).toEqual({ code: 'AGGREGATION_VIEW_NOT_ONLINE', message: NOT_MATERIALIZED });
    const incremental = await post('/materialize-incremental', {
      end_ts: END.toISOString(),
      feature_views: ['trip_aggs'],
    });
    expect(incremental.status).toBe(400);
    expect(errorCode(incremental).message).toBe(NOT_MATERIALIZED);
    const all = await post('/materialize', { start_ts: START.toISOString(), end_ts: END.toISOString() });
    expect(all.status).toBe(200);
  });

  it('fails trove materialize naming an aggregation view with a one-line reason', async () => {
    const result = await runCli(
      ['materialize', START.toISOString(), END.toISOString(), '--views', 'trip_aggs', '--repo', repo.dir],
      env,
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(NOT_MATERIALIZED);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('has the worker skip aggregation views, logging each once', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const worker = new MaterializerWorker(store, pino({}, sink), { reclaimEverySeconds: 0 });
    await worker.cycle();
    await worker.cycle();
    expect(worker.lastCycleOk).toBe(true);
    expect([...worker.views.keys()].sort()).toEqual(['driver_fares', 'push_fares']);
    const skipped = lines.filter((l) => l.includes('skipping aggregation view'));
    expect(skipped.map((l) => (JSON.parse(l) as { view: string }).view).sort()).toEqual([
      'push_aggs',
      'trip_aggs',
    ]);
  });
});

describe('pushing', () => {
  const df = { driver_id: [1], event_timestamp: ['2024-01-01T12:00:00Z'], fare: [99.5] };

  it('refuses a push online to a source feeding an aggregation view, writing nothing', async () => {
    for (const to of ['online', 'online_and_offline'] as const) {
      await expect(store.push({ pushSourceName: 'trip_push', df, to })).rejects.toMatchObject({
        code: 'AGGREGATION_VIEW_NOT_ONLINE',
        message: NOT_PUSHED,
      });
    }
    const files = await readdir(pushFolder(store.config.offlineStorePath, 'trip_push')).catch(() => []);
    expect(files).toEqual([]);
    const read = await store.getOnlineFeatures({
      entities: { driver_id: [1] },
      features: ['push_fares:fare'],
    });
    expect(read.results[1]?.statuses).toEqual(['NOT_FOUND']);
  });

  it('takes a push offline to a source feeding an aggregation view', async () => {
    const result = await store.push({ pushSourceName: 'trip_push', df, to: 'offline' });
    expect(result.offline).toEqual({ push_fares: 1, push_aggs: 1 });
  });

  it('answers 400 over HTTP', async () => {
    const answer = await post('/push', { push_source_name: 'trip_push', df, to: 'online_and_offline' });
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toEqual({ code: 'AGGREGATION_VIEW_NOT_ONLINE', message: NOT_PUSHED });
  });
});

describe('reading online', () => {
  it('refuses aggregation features, alone, by view:* or beside batch features', async () => {
    for (const features of [
      ['trip_aggs:fare_sum_1h'],
      ['trip_aggs:*'],
      ['driver_fares:fare', 'trip_aggs:count_1d'],
    ]) {
      await expect(store.getOnlineFeatures({ entities: { driver_id: [1] }, features })).rejects.toMatchObject(
        {
          code: 'AGGREGATION_VIEW_NOT_ONLINE',
          message: NOT_SERVED,
        },
      );
    }
  });

  it('answers 400 over HTTP', async () => {
    const answer = await post('/get-online-features', {
      entities: { driver_id: [1] },
      features: ['driver_fares:fare', 'trip_aggs:fare_sum_1h'],
    });
    expect(answer.status).toBe(400);
    expect(errorCode(answer).code).toBe('AGGREGATION_VIEW_NOT_ONLINE');
    expect(errorCode(answer).message).toBe(NOT_SERVED);
  });
});

describe('training datasets over HTTP', () => {
  it('serve aggregation features beside batch ones', async () => {
    const answer = await post('/get-historical-features', {
      entities: {
        driver_id: [1, 2, 1],
        event_timestamp: ['2024-01-01T10:30:00Z', '2024-01-01T12:00:00Z', '2024-01-01T09:00:00Z'],
      },
      features: ['trip_aggs:fare_sum_1h', 'driver_fares:fare', 'trip_aggs:count_1d'],
    });
    expect(answer.status).toBe(200);
    const table = tableFromIPC(answer.bytes);
    expect(table.schema.names).toEqual(['driver_id', 'event_timestamp', 'fare_sum_1h', 'fare', 'count_1d']);
    const column = (name: string) => [...(table.getChild(name) ?? [])];
    expect(column('fare_sum_1h')).toEqual([15.5, 7, 0]);
    expect(column('fare')).toEqual([5.5, 7, null]);
    expect(column('count_1d')).toEqual([2n, 1n, 0n]);
  });
});
