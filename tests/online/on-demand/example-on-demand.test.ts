/**
 * The example's on-demand feature, fare_vs_driver_mean:fare_ratio (the request's fare over the
 * driver's fare_mean_7d), end to end from both variants `trove init` writes (YAML naming
 * transforms.ts, and --typescript): `trove historical` computes it from the entity table's fare
 * column, POST /get-historical-features from the JSON entities' fare, `trove online` from
 * `--entity fare=...` and POST /get-online-features from `entities.fare`; against the real Redis
 * under a key prefix of this test's.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import { generateExampleData } from '../../../src/example/generate-example-data.ts';
import { FeatureStore } from '../../../src/feature-store.ts';
import { buildServer, serverOptionsFromConfig } from '../../../src/server/app.ts';
import { runCli } from '../../helpers/run-cli.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';
import { columnValues, queryRows } from '../../offline/offline-test-kit.ts';
import { REDIS_URL } from '../../server/server-fixture.ts';

const FEATURES = ['driver_trip_stats:fare_mean_7d', 'fare_vs_driver_mean:fare_ratio'];
const ROWS = 2_000;
/** Entity rows sent over HTTP: the first of the example's training rows. */
const HTTP_ROWS = 40;

interface OnlineAnswer {
  metadata: { feature_names: string[] };
  results: { values: unknown[]; statuses: string[] }[];
}

/** The answer's columns by name. */
function columns(answer: OnlineAnswer): Record<string, { values: unknown[]; statuses: string[] }> {
  return Object.fromEntries(answer.metadata.feature_names.map((name, i) => [name, answer.results[i]!]));
}

describe.each([
  ['YAML', []],
  ['TypeScript', ['--typescript']],
] as const)('the example on-demand feature, %s definitions', (_label, flags) => {
  const env = { REDIS_URL, TROVE_REDIS_KEY_PREFIX: `trove-test-example-odfv-${randomUUID().slice(0, 8)}` };
  // The data ends now, so the newest trips are in the 7d window of an online read.
  const end = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  let repo: TempRepo;
  let store: FeatureStore | undefined;
  let app: FastifyInstance | undefined;
  let base: string;
  const cli = async (...args: string[]) => {
    const result = await runCli([...args, '--repo', repo.dir], env);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  };

  beforeAll(async () => {
    repo = await makeTempRepo();
    const init = await runCli(['init', repo.dir, '--rows', '500', ...flags]);
    expect(init.code, init.stderr).toBe(0);
    await generateExampleData(path.join(repo.dir, 'data'), { rows: ROWS, end });
    await cli('apply');
    await cli('compute');
    store = await FeatureStore.open(repo.dir, { env: { ...process.env, ...env, TROVE_API_KEYS: '' } });
    app = await buildServer(
      store,
      serverOptionsFromConfig(store.config, { env: { ...process.env, ...env } }),
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}`;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await store?.teardown();
    await store?.close();
    await repo?.remove();
  });

  const post = (url: string, body: unknown) =>
    fetch(base + url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('trove historical computes it from the entity table, as the driver trips say', async () => {
    const out = path.join(repo.dir, 'training.parquet');
    await cli(
      'historical',
      '--entities',
      path.join(repo.dir, 'data', 'training_rows.parquet'),
      '--features',
      FEATURES.join(','),
      '--out',
      out,
    );
    // The expected mean straight from the trips: the 7d window at each row's time, its start
    // rounded up to the hour (the window's granularity).
    const [[rows, present, wrong]] = (await queryRows(`
      WITH t AS (SELECT * FROM read_parquet(${quoteString(out)})),
           expected AS (
             SELECT t.driver_id, t.event_timestamp, t.fare, t.fare_ratio,
                    (SELECT avg(p.fare) FROM read_parquet(${quoteString(path.join(repo.dir, 'data', 'trips.parquet'))}) p
                     WHERE p.driver_id = t.driver_id
                       AND epoch_us(p.event_timestamp) <= epoch_us(t.event_timestamp)
                       AND epoch_us(p.event_timestamp) >=
                           ceil((epoch_us(t.event_timestamp) - 604800000000) / 3600000000) * 3600000000) AS mean
             FROM t)
      SELECT count(*)::INTEGER, count(fare_ratio)::INTEGER,
             count(*) FILTER (WHERE (mean IS NULL) <> (fare_ratio IS NULL)
                                 OR abs(fare_ratio - fare / mean) > 1e-9 * abs(fare / mean))::INTEGER
      FROM expected`)) as [[number, number, number]];
    expect(rows).toBe(Math.round(ROWS / 10));
    // Most rows have trips of their driver in the week before: the check compares real values.
    expect(present).toBeGreaterThan(rows / 2);
    expect(wrong).toBe(0);
  });

  it('POST /get-historical-features computes it from the JSON entities, as trove historical does', async () => {
    const input = await queryRows(
      `SELECT driver_id, strftime(event_timestamp AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%fZ'), fare
       FROM read_parquet(${quoteString(path.join(repo.dir, 'data', 'training_rows.parquet'))}) LIMIT ${HTTP_ROWS}`,
    );
    const res = await post('/get-historical-features', {
      entities: {
        driver_id: input.map((r) => Number(r[0])),
        event_timestamp: input.map((r) => r[1]),
        // A whole fare is a JSON integer: still a float64 to the transform.
        fare: input.map((r, i) => (i === 0 ? 30 : r[2])),
      },
      features: FEATURES,
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const table = tableFromIPC(new Uint8Array(await res.arrayBuffer()));
    expect(table.schema.names).toEqual([
      'driver_id',
      'event_timestamp',
      'fare',
      'fare_mean_7d',
      'fare_ratio',
    ]);
    const fromCli = (
      await queryRows(
        `SELECT fare_ratio FROM read_parquet(${quoteString(path.join(repo.dir, 'training.parquet'))}) LIMIT ${HTTP_ROWS}`,
      )
    ).map((r) => r[0]);
    expect(fromCli.filter((v) => v !== null).length).toBeGreaterThan(HTTP_ROWS / 2);
    // Equal but for the last bits of the mean, whose float sums may add up in another order.
    const fromHttp = columnValues(table, 'fare_ratio');
    expect(fromHttp.map((v) => v === null)).toEqual(fromCli.map((v) => v === null));
    const means = columnValues(table, 'fare_mean_7d');
    fromHttp.forEach((v, i) => {
      // The first row's fare was sent as 30.
      const expected = i === 0 ? 30 / (means[0] as number) : (fromCli[i] as number);
      if (v !== null) expect(Math.abs((v as number) - expected)).toBeLessThan(1e-12 * (v as number));
    });
  });

  describe('online', () => {
    let driver: string;

    beforeAll(async () => {
      const start = new Date(end.getTime() - 10 * 86_400_000);
      await cli('materialize', start.toISOString(), end.toISOString(), '--views', 'driver_trip_stats');
      const [[latest]] = (await queryRows(
        `SELECT driver_id FROM read_parquet(${quoteString(path.join(repo.dir, 'data', 'trips.parquet'))})
         ORDER BY event_timestamp DESC LIMIT 1`,
      )) as [[bigint]];
      driver = String(latest);
    }, 60_000);

    it('trove online takes the fare as --entity fare=... and computes it', async () => {
      const answer = JSON.parse(
        await cli(
          'online',
          '--entity',
          `driver_id=${driver}`,
          '--entity',
          'driver_id=999999',
          '--entity',
          'fare=42.5',
          '--entity',
          'fare=10',
          '--features',
          FEATURES.join(','),
        ),
      ) as OnlineAnswer;
      const { fare, fare_mean_7d: mean, fare_ratio: ratio } = columns(answer);
      expect(fare?.values).toEqual([42.5, 10]);
      const [driverMean] = mean!.values as [number, null];
      expect(typeof driverMean).toBe('number');
      expect(ratio?.values).toEqual([42.5 / driverMean, null]);
      expect(ratio?.statuses).toEqual(['PRESENT', 'NULL_VALUE']);

      // With the service, whose requests send the fare beside the keys.
      const service = columns(
        JSON.parse(
          await cli(
            'online',
            '--entity',
            `driver_id=${driver}`,
            '--entity',
            'customer_id=5001',
            '--entity',
            'fare=42.5',
            '--service',
            'driver_ranking_v2',
          ),
        ) as OnlineAnswer,
      );
      expect(service.fare_ratio?.values).toEqual([42.5 / driverMean]);
    });

    it('trove online without the fare fails naming it', async () => {
      const result = await runCli(
        ['online', '--entity', `driver_id=${driver}`, '--features', FEATURES.join(','), '--repo', repo.dir],
        env,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/request field fare \(float64\)/);
      const notANumber = await runCli(
        [
          'online',
          '--entity',
          `driver_id=${driver}`,
          '--entity',
          'fare=cheap',
          '--features',
          FEATURES.join(','),
          '--repo',
          repo.dir,
        ],
        env,
      );
      expect(notANumber.code).toBe(1);
      expect(notANumber.stderr).toMatch(/fare.*expected float64/);
    });

    it('POST /get-online-features takes the fare in entities and answers as trove online does', async () => {
      const res = await post('/get-online-features', {
        entities: { driver_id: [Number(driver), Number(driver)], fare: [42.5, 30] },
        features: FEATURES,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const cliAnswer = columns(
        JSON.parse(
          await cli(
            'online',
            '--entity',
            `driver_id=${driver}`,
            '--entity',
            'fare=42.5',
            '--features',
            FEATURES.join(','),
          ),
        ) as OnlineAnswer,
      );
      const http = columns((await res.json()) as OnlineAnswer);
      const mean = http.fare_mean_7d?.values[0] as number;
      expect(http.fare_ratio?.values).toEqual([...(cliAnswer.fare_ratio?.values ?? []), 30 / mean]);
      expect(http.fare_ratio?.values[0]).toBe(42.5 / mean);
    });
  });
});
