/**
 * Materialization and checks: a view whose newest compute failed its checks is refused, before
 * anything is written to Redis, for every check kind; a passing compute lets it through again;
 * skipChecks materializes the last committed rows and logs a warning. Also /metrics counts the
 * refused computes and shows the newest commit. Real Redis and DuckDB files in a temp repo.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/trove-config.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import { ValidationError } from '../../../src/offline/validation/check-failure.ts';
import { applyRepo } from '../../../src/registry/apply-repo.ts';
import { buildServer, serverOptionsFromConfig } from '../../../src/server/app.ts';
import { redisState } from '../../helpers/redis-state.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { REDIS_URL } from '../../online/online-fixture.ts';

const DEFINITIONS = `entities:
  - name: driver
    joinKeys: [{ name: driver_id, type: int64 }]
sources:
  - name: stats
    kind: csv
    path: data/stats.csv
    timestampField: event_timestamp
featureViews:
  - name: checked
    entities: [driver]
    source: stats
    checks: { minRows: 4 }
    features:
      - { name: rate, type: float64, checks: { min: 0, max: 1 } }
      - { name: city, type: string, checks: { allowed: [a, b] } }
      - { name: trips, type: int64, checks: { notNull: true } }
      - { name: score, type: float64, checks: { maxNullFraction: 0.5 } }
  - name: unchecked
    entities: [driver]
    source: stats
    features: [{ name: rate, type: float64 }]
`;

const HEADER = 'driver_id,event_timestamp,rate,city,trips,score';
/** Four rows of one day passing every check, bounds included. */
const GOOD = [
  '1,2024-01-01T10:00:00Z,0,a,1,0.5',
  '2,2024-01-01T11:00:00Z,1,b,2,',
  '3,2024-01-01T12:00:00Z,0.5,a,3,1.5',
  '4,2024-01-01T13:00:00Z,0.25,b,4,',
];

/** The good rows with row `row`'s `column` replaced (an empty text is null). */
function withValue(column: string, value: string, row = 2): string[] {
  const index = HEADER.split(',').indexOf(column);
  return GOOD.map((line, i) => {
    if (i !== row) return line;
    const cells = line.split(',');
    cells[index] = value;
    return cells.join(',');
  });
}

const KINDS: { kind: string; lines: string[]; reason: string }[] = [
  {
    kind: 'notNull',
    lines: withValue('trips', ''),
    reason: 'trips notNull: 1 of 4 rows in partition 2024-01-01',
  },
  { kind: 'min', lines: withValue('rate', '-1'), reason: 'rate min 0: 1 of 4 rows in partition 2024-01-01' },
  { kind: 'max', lines: withValue('rate', '3'), reason: 'rate max 1: 1 of 4 rows in partition 2024-01-01' },
  {
    kind: 'allowed',
    lines: withValue('city', 'c'),
    reason: 'city allowed ["a","b"]: 1 of 4 rows in partition 2024-01-01',
  },
  {
    kind: 'maxNullFraction',
    lines: withValue('score', ''),
    reason: 'score maxNullFraction 0.5: 3 of 4 rows null in partition 2024-01-01',
  },
  { kind: 'minRows', lines: GOOD.slice(0, 3), reason: 'minRows 4: the compute wrote 3 rows' },
];

const id = randomUUID().slice(0, 8);
const prefix = `trove-test-materialize-checks-${id}`;
const env = { ...process.env, REDIS_URL, TROVE_REDIS_KEY_PREFIX: prefix, TROVE_API_KEYS: '' };
let repo: TempRepo;
let store: FeatureStore;
let redis: Redis;

const writeRows = (lines: string[]) => repo.write('data/stats.csv', `${HEADER}\n${lines.join('\n')}\n`);
const range = { start: new Date('2024-01-01T00:00:00Z'), end: new Date('2024-01-02T00:00:00Z') };
const quiet = { log: () => {} };

async function rates(): Promise<unknown[]> {
  const answer = await store.getOnlineFeatures({
    entities: { driver_id: [1, 2, 3, 4] },
    features: ['checked:rate'],
  });
  return answer.results[1]!.values;
}

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('trove.yaml', `project: materialize_checks_${id}\n`);
  await repo.write('definitions.yaml', DEFINITIONS);
  await writeRows(GOOD);
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  redis = new Redis(REDIS_URL);
}, 60_000);

afterAll(async () => {
  await store?.teardown().catch(() => undefined);
  await store?.close();
  redis?.disconnect();
  await repo?.remove();
});

describe('materialization after checks', () => {
  it('materializes a view whose newest compute passed', async () => {
    await writeRows(GOOD);
    await store.compute();
    const [checked] = await store.materialize({ ...range, views: ['checked'], ...quiet });
    expect(checked?.rows).toBe(4);
    expect(await rates()).toEqual([0, 1, 0.5, 0.25]);
  });

  for (const { kind, lines, reason } of KINDS) {
    it(`refuses a view whose newest compute failed ${kind}, writing nothing, then takes it once a compute passes`, async () => {
      await writeRows(lines);
      await expect(store.compute({ views: ['checked'] })).rejects.toThrow(ValidationError);
      const before = await redisState(redis, prefix);
      const refused = await store.materialize({ ...range, ...quiet }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'VALIDATION_FAILED', status: 409 });
      const message = (refused as Error).message;
      expect(message).toMatch(
        /^materialization refused: feature view checked: its newest compute \(\d{4}-\d\d-\d\dT[\d:.]+Z\) failed 1 check and committed nothing \(/,
      );
      expect(message).toContain(reason);
      expect(message).toContain('fix the data and compute again, or materialize with --skip-checks');
      // Refused as a whole: the unchecked view is not materialized either.
      expect(await redisState(redis, prefix)).toEqual(before);
      // Incremental runs are refused alike.
      await expect(store.materializeIncremental({ end: range.end, ...quiet })).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      // Naming only other views, they go through.
      const [unchecked] = await store.materialize({ ...range, views: ['unchecked'], ...quiet });
      expect(unchecked?.view).toBe('unchecked');

      await writeRows(GOOD);
      await store.compute({ views: ['checked'] });
      const [checked] = await store.materialize({ ...range, views: ['checked'], ...quiet });
      expect(checked?.rows).toBe(4);
    });
  }

  it('with skipChecks, materializes the last committed rows and logs a warning', async () => {
    await writeRows(withValue('rate', '7', 0));
    await expect(store.compute({ views: ['checked'] })).rejects.toThrow(ValidationError);
    const logged: [string, Record<string, unknown>][] = [];
    const [checked] = await store.materialize({
      ...range,
      views: ['checked'],
      skipChecks: true,
      log: (message, fields) => logged.push([message, fields]),
    });
    expect(checked?.rows).toBe(4);
    // The refused compute committed nothing: the rates are the good ones.
    expect(await rates()).toEqual([0, 1, 0.5, 0.25]);
    expect(logged[0]).toEqual([
      'data-quality checks skipped (skipChecks)',
      { level: 'warn', stage: 'materialize', views: ['checked'] },
    ]);
  });

  it('answers POST /materialize with 409 and the reason, and shows the counts on /metrics', async () => {
    const app = await buildServer(store, serverOptionsFromConfig(store.config, { env }));
    try {
      const answer = await app.inject({
        method: 'POST',
        url: '/materialize',
        payload: { start_ts: '2024-01-01T00:00:00Z', end_ts: '2024-01-02T00:00:00Z' },
      });
      expect(answer.statusCode).toBe(409);
      expect(answer.json().error.code).toBe('VALIDATION_FAILED');
      expect(answer.json().error.message).toContain('rate max 1: 1 of 4 rows in partition 2024-01-01');

      const records = await store.validationRecords();
      const lastCommit = records.find((r) => r.view === 'checked')?.lastCommittedAt;
      const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      // One refused compute per check kind, and the skipChecks test's.
      expect(metrics).toContain(
        `trove_validation_failures_total{feature_view="checked",stage="compute"} ${KINDS.length + 1}`,
      );
      expect(metrics).toContain(
        'trove_validation_failures_total{feature_view="unchecked",stage="compute"} 0',
      );
      expect(metrics).toContain(
        `trove_last_compute_timestamp_seconds{feature_view="checked"} ${Date.parse(lastCommit!) / 1000}`,
      );
    } finally {
      await app.close();
    }
  });
});
