/**
 * `trove check-consistency` on the bundled example, materialized into the real Redis: it finds no
 * disagreement between online values and the training join (batch and aggregation views), then
 * finds the one value changed directly in Redis, and `/metrics` shows each view's last ratio.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/trove-config.ts';
import { FeatureStore } from '../../src/feature-store.ts';
import { type ConsistencyReport, checkConsistency } from '../../src/online/consistency/check-consistency.ts';
import { batchTarget, sampleEntities } from '../../src/online/consistency/sample-entities.ts';
import { applyRepo } from '../../src/registry/apply-repo.ts';
import { buildServer, serverOptionsFromConfig } from '../../src/server/app.ts';
import { runCli } from '../helpers/run-cli.ts';
import { copyExampleRepo, makeTempRepo, type TempRepo } from '../helpers/temp-repo.ts';

const VIEW = 'driver_hourly_stats';

let repo: TempRepo;
let store: FeatureStore;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  repo = await makeTempRepo();
  // Data up to the current minute, materialized up to it: the online state is what a read now
  // should see, aggregation windows included.
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  await copyExampleRepo(repo, 2_000, end);
  env = { ...process.env, TROVE_REDIS_KEY_PREFIX: `trove-consistency-${randomUUID().slice(0, 8)}` };
  await applyRepo(await loadConfig(repo.dir, env));
  store = await FeatureStore.open(repo.dir, { env });
  await store.compute();
  await store.materialize({ start: new Date(end.getTime() - 40 * 86_400_000), end, log: () => {} });
});

afterAll(async () => {
  if (store) {
    await store.teardown();
    await store.close();
  }
  await repo?.remove();
});

async function check(options: Parameters<typeof checkConsistency>[3] = {}): Promise<ConsistencyReport> {
  return checkConsistency(store.config, await store.registry(), store.online(), options);
}

async function scrape(): Promise<string> {
  const app = await buildServer(store, serverOptionsFromConfig(store.config));
  try {
    return (await app.inject({ method: 'GET', url: '/metrics' })).body;
  } finally {
    await app.close();
  }
}

describe('check-consistency', () => {
  it('reports no mismatch on the materialized example, batch and aggregation views alike', async () => {
    const report = await check({ sample: 50 });
    const views = Object.fromEntries(report.views.map((v) => [v.view, v]));
    expect(Object.keys(views).sort()).toEqual([
      'customer_profile',
      'driver_customer_trips',
      'driver_hourly_stats',
      'driver_trip_stats',
    ]);
    for (const v of report.views) {
      expect(v.sampled, v.view).toBeGreaterThan(10);
      expect(v.valuesCompared, v.view).toBeGreaterThan(v.sampled);
      expect(v.examples, v.view).toEqual([]);
      expect(v.mismatchRatio, v.view).toBe(0);
    }
    expect(views.driver_trip_stats!.kind).toBe('aggregation');
    // 20 drivers have rows: the sample takes each once.
    expect(views.driver_hourly_stats!.sampled).toBe(20);

    const metrics = await scrape();
    expect(metrics).toMatch(/trove_consistency_mismatch_ratio\{feature_view="driver_hourly_stats"\} 0/);
    expect(metrics).toMatch(/trove_consistency_mismatch_ratio\{feature_view="driver_trip_stats"\} 0/);
  });

  it('detects a value changed directly in Redis, and exits non-zero above --max-mismatch', async () => {
    const registry = await store.registry();
    const online = store.online();
    const codec = online.codec(registry, VIEW);
    // The entity with the newest row: with a 1d ttl, one whose row is nearly a day old could expire
    // before the check reads it, and an expired value is null online and offline alike.
    let entity: unknown[] | undefined;
    let key = '';
    let row: ReturnType<typeof codec.decode> | undefined;
    for (const candidate of await sampleEntities(
      online,
      batchTarget(online, codec.joinKeys, codec.field),
      100,
    )) {
      const candidateKey = online.keys.entity(codec.entityKeys.text(candidate));
      const decoded = codec.decode((await online.client.hgetBuffer(candidateKey, codec.field))!);
      if (row === undefined || decoded.eventMicros > row.eventMicros) {
        [entity, key, row] = [candidate, candidateKey, decoded];
      }
    }
    if (row === undefined) throw new Error('no materialized entity to change');
    const conv = codec.indexOf('conv_rate');
    const trips = codec.indexOf('avg_daily_trips');
    const changed = codec.encode(BigInt(row.eventMicros), null, (i) =>
      i === conv
        ? ((row.values[i] as number | null) ?? 0) + 0.25
        : i === trips
          ? 123_456_789n
          : row.values[i],
    );
    await online.client.hset(key, codec.field, changed);

    const report = await check({ views: [VIEW] });
    const [v] = report.views;
    expect(v!.mismatched).toBe(1);
    expect(v!.mismatchRatio).toBeCloseTo(1 / v!.sampled, 12);
    expect(v!.valuesMismatched).toBe(2);
    expect(v!.examples.map((m) => m.feature).sort()).toEqual(['avg_daily_trips', 'conv_rate']);
    const example = v!.examples.find((m) => m.feature === 'avg_daily_trips')!;
    expect(example.entity).toEqual({ driver_id: String(entity![0]) });
    expect(example.online).toBe('123456789');
    expect(example.offline).not.toBe('123456789');
    expect(example.status).toBe('PRESENT');

    expect(await scrape()).toMatch(
      new RegExp(`trove_consistency_mismatch_ratio\\{feature_view="${VIEW}"\\} ${1 / v!.sampled}`),
    );

    const cli = await runCli(['check-consistency', '--repo', repo.dir, '--views', VIEW], env);
    expect(cli.code).toBe(1);
    expect(cli.stdout).toMatch(
      new RegExp(`${VIEW}:avg_daily_trips driver_id=${entity![0]}: online 123456789`),
    );
    expect(cli.stderr).toMatch(
      /disagree above --max-mismatch 0: driver_hourly_stats 1\/20 entities \(5\.0%\)/,
    );
    const tolerated = await runCli(
      ['check-consistency', '--repo', repo.dir, '--views', VIEW, '--max-mismatch', '0.1', '--json'],
      env,
    );
    expect(tolerated.code).toBe(0);
    expect((JSON.parse(tolerated.stdout) as ConsistencyReport).views[0]!.mismatched).toBe(1);
  });

  it('counts an undecodable online value as a mismatch', async () => {
    const registry = await store.registry();
    const online = store.online();
    const codec = online.codec(registry, 'customer_profile');
    const [entity] = await sampleEntities(online, batchTarget(online, codec.joinKeys, codec.field), 1);
    await online.client.hset(online.keys.entity(codec.entityKeys.text(entity!)), codec.field, 'garbage');
    const [v] = (await check({ views: ['customer_profile'] })).views;
    expect(v!.mismatched).toBe(1);
    expect(v!.examples[0]!.status).toBe('INVALID');
  });

  it('refuses bad options with a clear reason', async () => {
    await expect(check({ views: ['nope'] })).rejects.toThrow(/unknown feature view nope/);
    await expect(check({ views: ['fare_vs_driver_mean'] })).rejects.toThrow(/on-demand view/);
    await expect(check({ sample: 0 })).rejects.toThrow(/sample: expected a whole number/);
    const cli = await runCli(['check-consistency', '--repo', repo.dir, '--max-mismatch', '2'], env);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/--max-mismatch: expected a ratio from 0 to 1, got 2/);
  });
});
