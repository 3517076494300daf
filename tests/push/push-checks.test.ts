/**
 * Row checks at push: a batch with one failing row is refused whole with a 400 naming the row, the
 * feature and the check, and neither Redis nor the offline store changes (every key dumped, every
 * file hashed, before and after). Checks over many rows (maxNullFraction, minRows) wait for the
 * next compute. Refusals are counted on /metrics. Real Redis and DuckDB files in a temp repo.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { buildServer, serverOptionsFromConfig } from '../../src/server/app.ts';
import { redisState } from '../helpers/redis-state.ts';
import { makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';
import { hashFiles } from '../offline/validation/store-hash.ts';
import { REDIS_URL } from '../server/server-fixture.ts';

const BIG = '9007199254740993'; // 2^53 + 1

const DEFINITIONS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: stats
    kind: csv
    path: data/stats.csv
    timestampField: event_timestamp
  - name: stats_push
    kind: push
    timestampField: event_timestamp
    batchSource: stats
    fieldMapping: { town: city }
featureViews:
  - name: checked
    entities: [driver]
    source: stats_push
    checks: { minRows: 1000 }
    features:
      - { name: rate, type: float64, checks: { min: 0, max: 1 } }
      - { name: city, type: string, checks: { allowed: [a, b] } }
      - { name: trips, type: int64, checks: { notNull: true } }
      - { name: code, type: int64, checks: { allowed: ["${BIG}", 7], maxNullFraction: 0 } }
  - name: unchecked
    entities: [driver]
    source: stats_push
    features: [{ name: rate, type: float64 }]
`;

const STATS = `driver_id,event_timestamp,rate,town,trips,code
1,2024-01-01T10:00:00Z,0.5,a,3,7
`;

const id = randomUUID().slice(0, 8);
const prefix = `trove-test-push-checks-${id}`;
const env = { ...process.env, REDIS_URL, TROVE_REDIS_KEY_PREFIX: prefix, TROVE_API_KEYS: '' };
let repo: TempRepo;
let store: FeatureStore;
let app: FastifyInstance;
let redis: Redis;

/** A good batch of three rows, bounds included; `change` edits column values. */
function batch(change: Record<string, unknown[]> = {}): Record<string, unknown[]> {
  return {
    driver_id: [1, 2, 3],
    event_timestamp: ['2024-01-02T10:00:00Z', '2024-01-02T11:00:00Z', '2024-01-02T12:00:00Z'],
    rate: [0, 1, null],
    town: ['a', 'b', null],
    trips: [1, 2, 3],
    code: [BIG, 7, null],
    ...change,
  };
}

const storeState = async () => ({
  redis: await redisState(redis, prefix),
  offline: await hashFiles(store.config.offlineStorePath),
});

async function push(df: Record<string, unknown[]>) {
  const answer = await app.inject({
    method: 'POST',
    url: '/push',
    payload: { push_source_name: 'stats_push', df, to: 'online_and_offline' },
  });
  return { status: answer.statusCode, json: answer.json() as { error?: { code: string; message: string } } };
}

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: push_checks_${id}\n`);
  await repo.write('definitions.yaml', DEFINITIONS);
  await repo.write('data/stats.csv', STATS);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  // One row passes every row check; minRows 1000 refuses the compute (a view check), so the view
  // has no partition and its push-time rows are appended to nothing.
  await store.compute({ views: ['unchecked'] });
  redis = new Redis(REDIS_URL);
  app = await buildServer(store, serverOptionsFromConfig(store.config, { env }));
  // Something in Redis to stay unchanged.
  expect((await push(batch())).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await store?.teardown().catch(() => undefined);
  await store?.close();
  redis?.disconnect();
  await repo?.remove();
});

const REFUSED: { name: string; change: Record<string, unknown[]>; message: string }[] = [
  {
    name: 'notNull',
    change: { trips: [1, null, 3] },
    message: 'row 1: feature checked:trips is null, which fails check notNull; nothing was written',
  },
  {
    name: 'min',
    change: { rate: [0, 1, -0.25] },
    message: 'row 2: feature checked:rate is -0.25, which fails check min 0; nothing was written',
  },
  {
    name: 'max, reporting the first failing row and the count',
    change: { rate: [0, 1.5, 2] },
    message:
      'row 1: feature checked:rate is 1.5, which fails check max 1 (2 of 3 rows fail checks); nothing was written',
  },
  {
    name: 'max against NaN',
    change: { rate: ['NaN', 1, 0] },
    message: 'row 0: feature checked:rate is NaN, which fails check min 0',
  },
  {
    name: 'allowed, naming the pushed column of a mapped feature',
    change: { town: ['a', 'c', 'b'] },
    message: 'row 1: feature checked:city (column town) is "c", which fails check allowed ["a","b"]',
  },
  {
    name: 'allowed on int64 beyond 2^53',
    change: { code: [BIG, '9007199254740992', 7] },
    message: `row 1: feature checked:code is 9007199254740992, which fails check allowed ["${BIG}",7]`,
  },
];

describe('checks at push', () => {
  it('take rows that pass, bounds and nulls included; maxNullFraction and minRows wait for a compute', async () => {
    // code is null in a third of the rows, over maxNullFraction 0; the view wants 1000 rows.
    const answer = await push(batch({ driver_id: [4, 5, 6] }));
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  });

  for (const c of REFUSED) {
    it(`refuse a batch failing ${c.name} whole, online and offline`, async () => {
      const before = await storeState();
      const answer = await push(batch({ driver_id: [7, 8, 9], ...c.change }));
      expect(answer.status).toBe(400);
      expect(answer.json.error?.code).toBe('CHECK_FAILED');
      expect(answer.json.error?.message).toContain(c.message);
      expect(await storeState()).toEqual(before);
    });
  }

  it('count refused batches per view on /metrics', async () => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain(
      `trove_validation_failures_total{feature_view="checked",stage="push"} ${REFUSED.length}`,
    );
    expect(metrics.body).toMatch(/trove_last_compute_timestamp_seconds\{feature_view="unchecked"\} \d+/);
  });

  it('with skipChecks (library only), write a failing batch and log a warning', async () => {
    const logged: [string, Record<string, unknown>][] = [];
    const before = await redisState(redis, prefix);
    const result = await store.push({
      pushSourceName: 'stats_push',
      df: batch({ driver_id: [10, 11, 12], rate: [5, 5, 5] }),
      to: 'online_and_offline',
      skipChecks: true,
      log: (message, fields) => logged.push([message, fields]),
    });
    expect(result.rows).toBe(3);
    expect(result.offline.unchecked).toBe(3);
    expect(await redisState(redis, prefix)).not.toEqual(before);
    expect(logged).toEqual([
      [
        'data-quality checks skipped (skipChecks)',
        { level: 'warn', stage: 'push', views: ['checked', 'unchecked'] },
      ],
    ]);
    // Over HTTP the flag is not taken.
    const answer = await app.inject({
      method: 'POST',
      url: '/push',
      payload: { push_source_name: 'stats_push', df: batch({ rate: [5, 5, 5] }), skip_checks: true },
    });
    expect(answer.statusCode).toBe(400);
  });
});
