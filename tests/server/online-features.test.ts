/**
 * `/get-online-features` against the real online store: Feast's request and answer shapes field by
 * field, int64 precision both ways, statuses, services, full names, registry changes without restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startTestServer, type TestServer, testDefinitions } from './server-fixture.ts';

const BIG = 9007199254740993n; // 2^53 + 1: not representable as a double
const MAX = 9223372036854775807n;

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const now = new Date();
  const old = new Date(now.getTime() - 2 * 3600_000); // beyond driver_profile's ttl of 1 h
  await server.store.push({
    pushSourceName: 'driver_push',
    to: 'online',
    df: {
      driver_id: [1001n, 1002n, BIG],
      event_timestamp: ['2021-04-12T10:59:42Z', '2021-04-12T11:00:00Z', now.toISOString()],
      created: [null, null, null],
      conv_rate: [0.5, 0.25, Number.NaN],
      acc_rate: [0.125, null, 1e-300],
      avg_daily_trips: [10n, MAX, -MAX - 1n],
      photo: [null, null, new Uint8Array([104, 105])],
      languages: [null, null, ['en', 'fr']],
      rating: [null, null, 4.75],
    },
  });
  await server.store.push({
    pushSourceName: 'driver_push',
    to: 'online',
    df: {
      driver_id: [1003n],
      event_timestamp: [old.toISOString()],
      created: [null],
      conv_rate: [0.5],
      acc_rate: [0.125],
      avg_daily_trips: [10n],
      photo: [null],
      languages: [[]],
      rating: [3.5],
    },
  });
});

afterAll(async () => {
  await server?.close();
});

describe('POST /get-online-features', () => {
  it("answers Feast's column-oriented shape, join keys first", async () => {
    const answer = await server.post('/get-online-features', {
      entities: { driver_id: [1001, 1002, 5] },
      features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
      full_feature_names: false,
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const body = answer.json as {
      metadata: { feature_names: string[] };
      results: { values: unknown[]; statuses: string[]; event_timestamps: string[] }[];
    };
    expect(Object.keys(body)).toEqual(['metadata', 'results']);
    expect(body.metadata).toEqual({ feature_names: ['driver_id', 'conv_rate', 'avg_daily_trips'] });
    expect(body.results).toHaveLength(3);
    for (const column of body.results)
      expect(Object.keys(column)).toEqual(['values', 'statuses', 'event_timestamps']);
    expect(body.results[0]!.values).toEqual([1001, 1002, 5]);
    expect(body.results[0]!.statuses).toEqual(['PRESENT', 'PRESENT', 'PRESENT']);
    expect(body.results[1]).toEqual({
      values: [0.5, 0.25, null],
      statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'],
      event_timestamps: ['2021-04-12T10:59:42Z', '2021-04-12T11:00:00Z', '1970-01-01T00:00:00Z'],
    });
    expect(body.results[2]).toEqual({
      values: [10, MAX, null],
      statuses: ['PRESENT', 'PRESENT', 'NOT_FOUND'],
      event_timestamps: ['2021-04-12T10:59:42Z', '2021-04-12T11:00:00Z', '1970-01-01T00:00:00Z'],
    });
  });

  it('keeps every digit of int64 keys and values, as JSON numbers', async () => {
    const answer = await server.post(
      '/get-online-features',
      `{"entities":{"driver_id":[${BIG}]},"features":["driver_hourly_stats:avg_daily_trips"]}`,
    );
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(`"values":[${BIG}]`);
    expect(answer.text).toContain(`"values":[${-MAX - 1n}]`);
    // int64 as proto3 JSON strings (how some Feast clients send them) is accepted too.
    const asString = await server.post('/get-online-features', {
      entities: { driver_id: [String(BIG)] },
      features: ['driver_hourly_stats:avg_daily_trips'],
    });
    expect(asString.text).toContain(`"values":[${-MAX - 1n}]`);
  });

  it('writes NaN as "NaN", bytes as base64, lists as arrays, stale values as OUTSIDE_MAX_AGE', async () => {
    const answer = await server.post('/get-online-features', {
      entities: { driver_id: [BIG, 1003] },
      features: ['driver_hourly_stats:conv_rate', 'driver_profile:*'],
    });
    expect(answer.status).toBe(200);
    const body = answer.json as {
      metadata: { feature_names: string[] };
      results: { values: unknown[]; statuses: string[] }[];
    };
    expect(body.metadata.feature_names).toEqual(['driver_id', 'conv_rate', 'photo', 'languages', 'rating']);
    expect(body.results[1]!.values[0]).toBe('NaN');
    expect(body.results[2]!.values[0]).toBe('aGk=');
    expect(body.results[3]!.values[0]).toEqual(['en', 'fr']);
    expect(body.results[4]!.values).toEqual([4.75, null]);
    expect(body.results[4]!.statuses).toEqual(['PRESENT', 'OUTSIDE_MAX_AGE']);
  });

  it('serves feature services and full feature names', async () => {
    const answer = await server.post('/get-online-features', {
      entities: { driver_id: [1002] },
      feature_service: 'driver_ranking_v1',
      full_feature_names: true,
    });
    expect(answer.status).toBe(200);
    expect((answer.json as { metadata: unknown }).metadata).toEqual({
      feature_names: [
        'driver_id',
        'driver_hourly_stats__conv_rate',
        'driver_hourly_stats__acc_rate',
        'driver_hourly_stats__avg_daily_trips',
        'driver_profile__rating',
      ],
    });
  });

  it('accepts and ignores fields Feast clients send', async () => {
    const answer = await server.post('/get-online-features', {
      entities: { driver_id: [1001] },
      features: ['driver_hourly_stats:conv_rate'],
      full_feature_names: false,
      include_feature_view_version_metadata: true,
      feature_service: null,
    });
    expect(answer.status).toBe(200);
  });

  it('answers 404 for unknown views, features and services; 400 for bad entities', async () => {
    const cases: [unknown, number, string][] = [
      [{ entities: { driver_id: [1] }, features: ['nope:x'] }, 404, 'UNKNOWN_FEATURE_VIEW'],
      [{ entities: { driver_id: [1] }, features: ['driver_hourly_stats:nope'] }, 404, 'UNKNOWN_FEATURE'],
      [{ entities: { driver_id: [1] }, feature_service: 'nope' }, 404, 'UNKNOWN_FEATURE_SERVICE'],
      [
        { entities: { customer_id: ['a'] }, features: ['driver_hourly_stats:conv_rate'] },
        400,
        'MISSING_JOIN_KEY',
      ],
      [
        { entities: { driver_id: ['x'] }, features: ['driver_hourly_stats:conv_rate'] },
        400,
        'INVALID_ENTITY_VALUE',
      ],
      [
        { entities: { driver_id: [1.5] }, features: ['driver_hourly_stats:conv_rate'] },
        400,
        'INVALID_ENTITY_VALUE',
      ],
      [
        { entities: { driver_id: [null] }, features: ['driver_hourly_stats:conv_rate'] },
        400,
        'INVALID_ENTITY_VALUE',
      ],
      [
        { entities: { driver_id: [1], x: [1, 2] }, features: ['driver_hourly_stats:conv_rate'] },
        400,
        'INVALID_REQUEST',
      ],
      [{ entities: { driver_id: [] }, features: ['driver_hourly_stats:conv_rate'] }, 400, 'INVALID_REQUEST'],
      [{ entities: {}, features: ['driver_hourly_stats:conv_rate'] }, 400, 'INVALID_REQUEST'],
      [{ entities: { driver_id: [1] } }, 400, 'INVALID_REQUEST'],
      [
        {
          entities: { driver_id: [1] },
          features: ['driver_hourly_stats'],
          feature_service: 'driver_ranking_v1',
        },
        400,
        'INVALID_REQUEST',
      ],
      [{ features: ['driver_hourly_stats:conv_rate'] }, 400, 'INVALID_REQUEST'],
      [{ entities: { driver_id: [1] }, features: 'driver_hourly_stats:conv_rate' }, 400, 'INVALID_REQUEST'],
      [
        {
          entities: { customer_id: ['a'] },
          features: ['customer_profile:current_balance', 'driver_hourly_stats:conv_rate'],
        },
        400,
        'MISSING_JOIN_KEY',
      ],
    ];
    for (const [body, status, code] of cases) {
      const answer = await server.post('/get-online-features', body);
      expect(answer.status, JSON.stringify(body)).toBe(status);
      expect(errorOf(answer).code, JSON.stringify(body)).toBe(code);
    }
    const invalid = errorOf(
      await server.post('/get-online-features', {
        entities: { driver_id: [1, 'x'] },
        features: ['driver_hourly_stats:conv_rate'],
      }),
    );
    expect(invalid.message).toBe('entities.driver_id[1]: expected an int64, got "x"');
    const shape = errorOf(
      await server.post('/get-online-features', { entities: { driver_id: 1 }, features: [] }),
    );
    expect(shape.message).toMatch(/^body\.entities\.driver_id: /);
  });

  it('limits entity rows per request (413)', async () => {
    const max = server.store.config.server.maxEntities;
    const answer = await server.post('/get-online-features', {
      entities: { driver_id: Array.from({ length: max + 1 }, (_, i) => i) },
      features: ['driver_hourly_stats:conv_rate'],
    });
    expect(answer.status).toBe(413);
    expect(errorOf(answer).code).toBe('TOO_MANY_ENTITIES');
    const atLimit = await server.post('/get-online-features', {
      entities: { driver_id: Array.from({ length: max }, (_, i) => i) },
      features: ['driver_hourly_stats:conv_rate'],
    });
    expect(atLimit.status).toBe(200);
  });

  it('serves a newly applied registry without a restart', async () => {
    const before = await server.post('/get-online-features', {
      entities: { customer_id: ['c1'] },
      features: ['customer_profile_v2:current_balance'],
    });
    expect(before.status).toBe(404);
    const next = testDefinitions();
    next.featureViews.push({ ...next.featureViews[0]!, name: 'customer_profile_v2' });
    await server.apply(next);
    const after = await server.post('/get-online-features', {
      entities: { customer_id: ['c1'] },
      features: ['customer_profile_v2:current_balance'],
    });
    expect(after.status).toBe(200);
    expect((after.json as { results: { statuses: string[] }[] }).results[1]!.statuses).toEqual(['NOT_FOUND']);
  });

  it('counts statuses per view in /metrics', async () => {
    const metrics = await server.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(
      /trove_online_feature_values_total\{feature_view="driver_hourly_stats",status="PRESENT"\} \d+/,
    );
    expect(metrics.text).toMatch(
      /trove_online_feature_values_total\{feature_view="driver_hourly_stats",status="NOT_FOUND"\} \d+/,
    );
    expect(metrics.text).toMatch(
      /trove_online_feature_values_total\{feature_view="driver_profile",status="OUTSIDE_MAX_AGE"\} \d+/,
    );
    // Freshness: now minus the newest event pushed (the third row above, pushed at "now").
    const freshness =
      /trove_feature_view_freshness_seconds\{feature_view="driver_hourly_stats"\} ([\d.e+-]+)/.exec(
        metrics.text,
      );
    expect(Number(freshness?.[1])).toBeGreaterThanOrEqual(0);
    expect(Number(freshness?.[1])).toBeLessThan(120);
    expect(metrics.text).toMatch(
      /trove_http_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/get-online-features",status_code="200"\}/,
    );
  });
});
