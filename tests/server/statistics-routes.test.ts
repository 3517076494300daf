import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorOf, startTestServer, type TestServer } from './server-fixture.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const pushed = await server.post('/push', {
    push_source_name: 'customer_push',
    to: 'offline',
    df: {
      customer_id: ['a', 'b', 'c', 'a'],
      event_timestamp: [
        '2025-12-01T10:00:00Z',
        '2025-12-01T11:00:00Z',
        '2025-12-02T10:00:00Z',
        '2025-12-02T12:00:00Z',
      ],
      current_balance: [10.5, null, 30, 40],
      lifetime_trips: [1, 2, 9007199254740993n, 4],
    },
  });
  expect(pushed.status).toBe(200);
  await server.store.compute();
});
afterAll(() => server.close());

describe('GET /feature-views/:name/stats', () => {
  it('answers a view merged over its partitions, or over a range of them', async () => {
    const all = await server.get('/feature-views/customer_profile/stats');
    expect(all.status).toBe(200);
    const body = all.json as {
      rows: bigint | number;
      partitions: bigint | number;
      describedOnRead: string[];
      features: { name: string; count: number; nulls: number; min: unknown; max: unknown; mean: number }[];
    };
    expect(Number(body.rows)).toBe(4);
    expect(Number(body.partitions)).toBe(2);
    expect(body.describedOnRead).toEqual([]);
    const balance = body.features.find((f) => f.name === 'current_balance')!;
    expect({
      count: Number(balance.count),
      nulls: Number(balance.nulls),
      min: balance.min,
      max: balance.max,
    }).toEqual({
      count: 3,
      nulls: 1,
      min: 10.5,
      max: 40,
    });
    expect(Number(balance.mean)).toBeCloseTo(80.5 / 3, 9);
    // int64 beyond 2^53 keeps every digit.
    expect(body.features.find((f) => f.name === 'lifetime_trips')!.max).toBe('9007199254740993');

    const day2 = await server.get('/feature-views/customer_profile/stats?start=2025-12-02T00:00:00Z');
    expect(Number((day2.json as { rows: number }).rows)).toBe(2);
  });

  it('answers 400 for a bad range and 404 for an unknown view or dataset', async () => {
    const bad = await server.get('/feature-views/customer_profile/stats?start=yesterday');
    expect(bad.status).toBe(400);
    expect(errorOf(bad).code).toBe('INVALID_TIMESTAMP');
    const reversed = await server.get(
      '/feature-views/customer_profile/stats?start=2025-12-02T00:00:00Z&end=2025-12-01T00:00:00Z',
    );
    expect(reversed.status).toBe(400);
    const unknown = await server.get('/feature-views/nope/stats');
    expect(unknown.status).toBe(404);
    const dataset = await server.get('/datasets/ds-20260101-000000-00000000/stats');
    expect(dataset.status).toBe(404);
  });
});
