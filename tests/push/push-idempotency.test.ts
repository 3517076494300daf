/**
 * Push ids offline: every pushed row carries its push's id (the idempotency key, or a random UUID)
 * into the push file and into an aggregation view's partitions, at push time and after a compute
 * re-reads the push folder; batch views do not store it. A push retried with the same key and rows
 * adds nothing offline and answers as the first did; the same key with other rows is a 409 that
 * changes nothing; a malformed key is a 400. Real DuckDB files in a temp repo.
 */
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { pushFolder } from '../../src/definitions/source-sql.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { PUSH_ID, viewFolder, viewGlob } from '../../src/offline/offline-layout.ts';
import type { PushRequest } from '../../src/push/push-rows.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { buildServer, serverOptionsFromConfig } from '../../src/server/app.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';
import { REDIS_URL } from '../server/server-fixture.ts';

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
    batchSource: trips
featureViews:
  - name: push_fares
    entities: [driver]
    source: trip_push
    features: [{ name: fare, type: float64 }]
  - name: push_aggs
    kind: aggregation
    entities: [driver]
    source: trip_push
    aggregations:
      - { column: fare, function: sum, windows: [1d] }
      - { function: count, windows: [1d] }
`;

const TRIPS = `driver_id,event_timestamp,fare
1,2024-01-01T10:00:00Z,10.0
1,2024-01-01T10:30:00Z,5.5
2,2024-01-01T11:00:00Z,7.0
`;

const id = randomUUID().slice(0, 8);
const env = {
  ...process.env,
  REDIS_URL,
  TROVE_REDIS_KEY_PREFIX: `trove-test-push-id-${id}`,
  TROVE_API_KEYS: '',
};
let repo: TempRepo;
let store: FeatureStore;
let app: FastifyInstance;
let duck: DuckDBInstance;

const firstPush = {
  driver_id: [1, 2],
  event_timestamp: ['2024-01-01T12:00:00Z', '2024-01-02T09:00:00Z'],
  fare: [1.25, 2.5],
};

async function query(sql: string): Promise<unknown[][]> {
  const connection = await duck.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowsJS();
  } finally {
    connection.closeSync();
  }
}

const partitions = (view: string) =>
  `read_parquet('${viewGlob(store.config.offlineStorePath, view)}', union_by_name = true, hive_partitioning = false)`;

/** Rows of the aggregation view per push id (null for batch rows), sorted by id. */
async function rowsPerPushId(): Promise<[string | null, number][]> {
  const rows = await query(
    `SELECT ${PUSH_ID}, count(*)::INTEGER FROM ${partitions('push_aggs')} GROUP BY ALL ORDER BY 1 NULLS FIRST`,
  );
  return rows.map((r) => [r[0] as string | null, r[1] as number]);
}

async function columnsOf(view: string): Promise<string[]> {
  return (await query(`DESCRIBE SELECT * FROM ${partitions(view)}`)).map((r) => String(r[0]));
}

async function rowCount(view: string): Promise<number> {
  return Number((await query(`SELECT count(*) FROM ${partitions(view)}`))[0]![0]);
}

const pushFiles = async () =>
  (await readdir(pushFolder(store.config.offlineStorePath, 'trip_push')).catch(() => [])).sort();

/** What the offline store holds, to show a refused push changed nothing. */
async function offlineState() {
  return {
    files: await pushFiles(),
    ids: await rowsPerPushId(),
    fares: await rowCount('push_fares'),
  };
}

async function inject(body: unknown) {
  const answer = await app.inject({ method: 'POST', url: '/push', payload: body as object });
  return { status: answer.statusCode, json: answer.json() as Record<string, unknown> };
}

async function trainingSums(): Promise<unknown[]> {
  const table = await store.getHistoricalFeatures({
    entities: {
      columns: {
        driver_id: [1, 2, 1],
        event_timestamp: ['2024-01-01T23:00:00Z', '2024-01-02T10:00:00Z', '2024-01-02T23:00:00Z'],
      },
    },
    features: ['push_aggs:fare_sum_1d', 'push_aggs:count_1d'],
  });
  return [[...(table.getChild('fare_sum_1d') ?? [])], [...(table.getChild('count_1d') ?? [])]];
}

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: push_ids_${id}\n`);
  await repo.write('definitions.yaml', DEFINITIONS);
  await repo.write('data/trips.csv', TRIPS);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
  app = await buildServer(store, serverOptionsFromConfig(store.config, { env }));
  duck = await DuckDBInstance.create(':memory:');
}, 60_000);

afterAll(async () => {
  await app?.close();
  duck?.closeSync();
  await store?.teardown().catch(() => undefined);
  await store?.close();
  await repo?.remove();
});

describe('push ids offline', () => {
  it('start NULL for batch rows; batch views do not store them', async () => {
    expect(await rowsPerPushId()).toEqual([[null, 3]]);
    expect(await columnsOf('push_aggs')).toContain(PUSH_ID);
    expect(await columnsOf('push_fares')).not.toContain(PUSH_ID);
  });

  it('land in the push file and in the aggregation view at push time', async () => {
    const result = await store.push({
      pushSourceName: 'trip_push',
      df: firstPush,
      to: 'offline',
      idempotencyKey: 'order-7:attempt.A_1',
    });
    expect(result.pushId).toBe('order-7:attempt.A_1');
    expect(result.offline).toEqual({ push_fares: 2, push_aggs: 2 });
    expect(path.basename(result.offlineFile ?? '')).toMatch(/^push-key-[0-9a-f]{32}\.parquet$/);
    const inFile = await query(`SELECT DISTINCT ${PUSH_ID} FROM read_parquet('${result.offlineFile}')`);
    expect(inFile).toEqual([['order-7:attempt.A_1']]);
    expect(await rowsPerPushId()).toEqual([
      [null, 3],
      ['order-7:attempt.A_1', 2],
    ]);
    expect(await columnsOf('push_fares')).not.toContain(PUSH_ID);

    const unkeyed = await store.push({
      pushSourceName: 'trip_push',
      df: { driver_id: [3], event_timestamp: ['2024-01-01T13:00:00Z'], fare: [4] },
      to: 'offline',
    });
    expect(unkeyed.pushId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await rowsPerPushId()).toContainEqual([unkeyed.pushId, 1]);
  });

  it('are kept when a compute re-reads the push folder, and training ignores them', async () => {
    const before = await rowsPerPushId();
    const sums = await trainingSums();
    await store.compute();
    expect(await rowsPerPushId()).toEqual(before);
    expect(await trainingSums()).toEqual(sums);
    expect(sums).toEqual([
      [16.75, 9.5, 0],
      [3n, 2n, 0n],
    ]);
    expect(await columnsOf('push_fares')).not.toContain(PUSH_ID);
  });

  it('read as NULL from partitions and push files written before the column existed', async () => {
    const offline = store.config.offlineStorePath;
    const connection = await duck.connect();
    try {
      // Rewrites the view's files and an extra push file as a store without the column has them.
      const folder = viewFolder(offline, 'push_aggs');
      await connection.run(
        `COPY (SELECT * EXCLUDE (${PUSH_ID}), strftime(event_timestamp, '%Y-%m-%d') AS date FROM ${partitions('push_aggs')})
         TO '${path.join(offline, 'old-layout')}' (FORMAT parquet, PARTITION_BY (date))`,
      );
      const { rm, rename } = await import('node:fs/promises');
      await rm(folder, { recursive: true });
      await rename(path.join(offline, 'old-layout'), folder);
      expect(await columnsOf('push_aggs')).not.toContain(PUSH_ID);
      await connection.run(
        `COPY (SELECT 4::BIGINT AS driver_id, TIMESTAMPTZ '2024-01-01 14:00:00+00' AS event_timestamp, 8.0::DOUBLE AS fare)
         TO '${path.join(pushFolder(offline, 'trip_push'), 'push-old.parquet')}' (FORMAT parquet)`,
      );
    } finally {
      connection.closeSync();
    }
    const sums = await trainingSums();
    expect(sums[0]).toEqual([16.75, 9.5, 0]);
    // A compute of part of a day keeps the rest of the day's old rows, without the column.
    await store.compute({ start: '2024-01-01T11:30:00Z', end: '2024-01-01T23:00:00Z' });
    // NULL: the three batch rows kept from the old files, the old push file's row, and the key's
    // row of 2024-01-02, a partition the range does not touch.
    const ids = await rowsPerPushId();
    expect(ids[0]).toEqual([null, 5]);
    expect(ids).toContainEqual(['order-7:attempt.A_1', 1]);
    await store.compute();
    const rebuilt = await rowsPerPushId();
    expect(rebuilt[0]).toEqual([null, 4]);
    expect(rebuilt).toContainEqual(['order-7:attempt.A_1', 2]);
    expect(await trainingSums()).toEqual(sums);
  });
});

describe('a retried push', () => {
  it('with the same key and rows adds nothing offline and answers as the first did', async () => {
    const state = await offlineState();
    const request: PushRequest = {
      pushSourceName: 'trip_push',
      // The same rows, columns in another order and times spelled otherwise.
      df: {
        fare: [1.25, 2.5],
        event_timestamp: ['2024-01-01 12:00:00', '2024-01-02T09:00:00.000Z'],
        driver_id: ['1', 2],
      },
      to: 'offline',
      idempotencyKey: 'order-7:attempt.A_1',
    };
    const again = await store.push(request);
    expect(again.pushId).toBe('order-7:attempt.A_1');
    expect(again.offline).toEqual({ push_fares: 2, push_aggs: 2 });
    expect(await offlineState()).toEqual(state);
    const http = await inject({
      push_source_name: 'trip_push',
      df: firstPush,
      to: 'offline',
      idempotency_key: 'order-7:attempt.A_1',
    });
    expect(http).toEqual({
      status: 200,
      json: { push_source_name: 'trip_push', to: 'offline', rows: 2, push_id: 'order-7:attempt.A_1' },
    });
    expect(await offlineState()).toEqual(state);
  });

  it('with the same key and other rows is refused with 409, changing nothing', async () => {
    const state = await offlineState();
    const other = { ...firstPush, fare: [1.25, 2.75] };
    await expect(
      store.push({
        pushSourceName: 'trip_push',
        df: other,
        to: 'offline',
        idempotencyKey: 'order-7:attempt.A_1',
      }),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', status: 409 });
    const fewer = await inject({
      push_source_name: 'trip_push',
      df: { driver_id: [1], event_timestamp: ['2024-01-01T12:00:00Z'], fare: [1.25] },
      to: 'offline',
      idempotency_key: 'order-7:attempt.A_1',
    });
    expect(fewer.status).toBe(409);
    expect(fewer.json).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    expect(await offlineState()).toEqual(state);
  });

  it('racing another attempt with the same key writes once', async () => {
    const df = {
      driver_id: [5, 5],
      event_timestamp: ['2024-01-01T15:00:00Z', '2024-01-01T16:00:00Z'],
      fare: [1, 2],
    };
    const request: PushRequest = { pushSourceName: 'trip_push', df, to: 'offline', idempotencyKey: 'race-1' };
    const results = await Promise.all([store.push(request), store.push(request), store.push(request)]);
    expect(results.map((r) => r.offlineFile)).toEqual(Array(3).fill(results[0]!.offlineFile));
    expect(results.map((r) => r.offline.push_aggs)).toEqual([2, 2, 2]);
    expect(await rowsPerPushId()).toContainEqual(['race-1', 2]);

    const mixed = await Promise.allSettled(
      [1, 2].map((fare) =>
        store.push({ ...request, idempotencyKey: 'race-2', df: { ...df, fare: [fare, fare] } }),
      ),
    );
    expect(mixed.map((m) => m.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = mixed.find((m) => m.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(await rowsPerPushId()).toContainEqual(['race-2', 2]);
  });
});

describe('idempotency keys', () => {
  const df = { driver_id: [9], event_timestamp: ['2024-01-01T20:00:00Z'], fare: [1] };

  it('are 1 to 128 letters, digits or . _ : -, else a 400 naming the field, with nothing written', async () => {
    const state = await offlineState();
    for (const bad of ['', 'a b', 'a/b', '../x', 'é', 'x'.repeat(129)]) {
      await expect(
        store.push({ pushSourceName: 'trip_push', df, to: 'offline', idempotencyKey: bad }),
      ).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        status: 400,
        message: expect.stringMatching(/^idempotencyKey/),
      });
      const answer = await inject({ push_source_name: 'trip_push', df, to: 'offline', idempotency_key: bad });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({
        error: { code: 'INVALID_REQUEST', message: expect.stringMatching(/^body\.idempotency_key: /) },
      });
    }
    const notText = await inject({ push_source_name: 'trip_push', df, to: 'offline', idempotency_key: 7 });
    expect(notText.status).toBe(400);
    expect(await offlineState()).toEqual(state);
    const longest = 'K'.repeat(128);
    const answer = await inject({
      push_source_name: 'trip_push',
      df,
      to: 'offline',
      idempotency_key: longest,
    });
    expect(answer).toMatchObject({ status: 200, json: { push_id: longest } });
  });
});
