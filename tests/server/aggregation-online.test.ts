/**
 * Aggregation views through every online surface, against the real Redis: materialize and
 * materialize-incremental naming them (library, HTTP, CLI) or not, the materializer worker, a push
 * online over HTTP (retried with its idempotency key, counted once), reads by the library and over
 * HTTP beside batch features, `now` within and beyond the online horizon; training datasets
 * serve the same features.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaterializerWorker } from '../../materializer/worker.ts';
import { loadConfig } from '../../src/config/trove-config.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { buildServer, serverOptionsFromConfig } from '../../src/server/app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';
import { jsonText, REDIS_URL } from './server-fixture.ts';

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

const MINUTE = 60_000;
/** The current minute: events sit shortly before it, so online windows still hold them. */
const T = Math.floor(Date.now() / MINUTE) * MINUTE;
const at = (minutesBefore: number) => new Date(T - minutesBefore * MINUTE).toISOString();
const TRIPS = `driver_id,event_timestamp,fare
1,${at(50)},10.0
1,${at(20)},5.5
2,${at(10)},7.0
`;
const START = new Date(T - 86_400_000);
const END = new Date(T);

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

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: agg_online_${id}\n`);
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

const tripAggs = (driver: number, now = new Date(T)) =>
  store.getOnlineFeatures({ entities: { driver_id: [driver] }, features: ['trip_aggs:*'] }, { now });

describe('materializing', () => {
  it('fills an aggregation view named in materialize, whose reads then hold its windows', async () => {
    expect((await tripAggs(1)).results.slice(1).map((c) => c.values[0])).toEqual([0, 0n]);
    const [result] = await store.materialize({ start: START, end: END, views: ['trip_aggs'], log: () => {} });
    expect(result).toMatchObject({ view: 'trip_aggs', rows: 3 });
    const read = await tripAggs(1);
    expect(read.metadata.feature_names).toEqual(['driver_id', 'fare_sum_1h', 'count_1d']);
    expect(read.results.slice(1).map((c) => [c.values[0], c.statuses[0]])).toEqual([
      [15.5, 'PRESENT'],
      [2n, 'PRESENT'],
    ]);
    // At T − 30 min the 10:40-ish trip is still ahead: only the first one counts.
    const earlier = await tripAggs(1, new Date(T - 30 * MINUTE));
    expect(earlier.results.slice(1).map((c) => c.values[0])).toEqual([10, 1n]);
  });

  it('takes them by name over HTTP and in materialize-incremental, and with every view', async () => {
    const named = await post('/materialize', {
      start_ts: START.toISOString(),
      end_ts: END.toISOString(),
      feature_views: ['trip_aggs'],
    });
    expect(named.status).toBe(200);
    const incremental = await post('/materialize-incremental', {
      end_ts: END.toISOString(),
      feature_views: ['trip_aggs'],
    });
    expect(incremental.status).toBe(200);
    const all = await store.materialize({ start: START, end: END, log: () => {} });
    expect(all.map((r) => r.view).sort()).toEqual(['driver_fares', 'push_aggs', 'push_fares', 'trip_aggs']);
    // Run again and again, the windows count each trip once.
    expect((await tripAggs(1)).results.slice(1).map((c) => c.values[0])).toEqual([15.5, 2n]);
  });

  it('runs trove materialize naming an aggregation view', async () => {
    const result = await runCli(
      ['materialize', START.toISOString(), END.toISOString(), '--views', 'trip_aggs', '--repo', repo.dir],
      env,
    );
    expect(result.code).toBe(0);
    expect((await tripAggs(2)).results.slice(1).map((c) => c.values[0])).toEqual([7, 1n]);
  });

  it('has the worker materialize aggregation views with the others', async () => {
    const sink = new Writable({
      write(_chunk, _encoding, done) {
        done();
      },
    });
    const worker = new MaterializerWorker(store, pino({}, sink), { reclaimEverySeconds: 0 });
    await worker.cycle();
    expect(worker.lastCycleOk).toBe(true);
    expect([...worker.views.keys()].sort()).toEqual(['driver_fares', 'push_aggs', 'push_fares', 'trip_aggs']);
  });
});

describe('pushing and reading over HTTP', () => {
  const df = { driver_id: [1, 1], event_timestamp: [at(5), at(3)], fare: [99.5, 12.25] };
  const read = () =>
    post('/get-online-features', {
      entities: { driver_id: [1, 3] },
      features: ['driver_fares:fare', 'push_aggs:fare_max_1d'],
    });

  it('shows a push at once, and a retry with the same key counts it once', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await post('/push', {
        push_source_name: 'trip_push',
        df,
        to: 'online_and_offline',
        idempotency_key: `trips-${id}`,
      });
      expect(answer.status).toBe(200);
    }
    const answer = await read();
    expect(answer.status).toBe(200);
    const results = (answer.json as { results: { values: unknown[]; statuses: string[] }[] }).results;
    expect(results[2]).toMatchObject({ values: [99.5, null], statuses: ['PRESENT', 'NULL_VALUE'] });
    // The same rows found offline by a materialization are the same push: still counted once.
    await store.materialize({ start: START, end: END, views: ['push_aggs'], log: () => {} });
    const again = await store.getOnlineFeatures(
      { entities: { driver_id: [1] }, features: ['push_aggs:fare_max_1d'] },
      { now: new Date(T) },
    );
    expect(again.results[1]?.values).toEqual([99.5]);
  });

  it('refuses an online-only push reusing a key for other rows, changing nothing', async () => {
    const key = `online-only-${id}`;
    const push = (fare: number) =>
      post('/push', {
        push_source_name: 'trip_push',
        df: { driver_id: [4], event_timestamp: [at(2)], fare: [fare] },
        to: 'online',
        idempotency_key: key,
      });
    const max = async () =>
      (
        await store.getOnlineFeatures(
          { entities: { driver_id: [4] }, features: ['push_aggs:fare_max_1d'] },
          { now: new Date(T) },
        )
      ).results[1]?.values;
    expect((await push(3.5)).status).toBe(200);
    expect((await push(3.5)).status).toBe(200);
    const reused = await push(80);
    expect(reused.status).toBe(409);
    expect((reused.json as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await max()).toEqual([3.5]);
  });

  it('refuses a read at an instant older than the online horizon, naming it', async () => {
    await expect(tripAggs(1, new Date(Date.now() - 2 * 3600_000))).rejects.toMatchObject({
      code: 'NOW_OUT_OF_RANGE',
      status: 400,
    });
  });
});

describe('training datasets over HTTP', () => {
  it('serve aggregation features beside batch ones', async () => {
    const answer = await post('/get-historical-features', {
      entities: {
        driver_id: [1, 2, 1],
        event_timestamp: [at(20), at(0), at(60)],
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
