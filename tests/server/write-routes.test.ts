/** `/push`, `/materialize`, `/materialize-incremental` in Feast's bodies, against the real store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViewLock } from '../../src/materialize/view-lock.ts';
import { errorOf, startTestServer, type TestServer } from './server-fixture.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(async () => {
  await server?.close();
});

const online = (customer: string) =>
  server.post('/get-online-features', {
    entities: { customer_id: [customer] },
    features: ['customer_profile:current_balance', 'customer_profile:lifetime_trips'],
  });

describe('POST /push', () => {
  it('writes rows online; the next read sees them', async () => {
    const answer = await server.post(
      '/push',
      `{"push_source_name":"customer_push","df":{"customer_id":["c1","c2"],"event_timestamp":["2024-01-01T00:00:00Z","2024-01-01T00:00:00"],"current_balance":[12.5,null],"lifetime_trips":[9223372036854775806,1]},"to":"online","allow_registry_cache":true}`,
    );
    expect(answer.status).toBe(200);
    // Without an idempotency key, the push's id is a random UUID.
    expect(answer.json).toEqual({
      push_source_name: 'customer_push',
      to: 'online',
      rows: 2,
      push_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    });
    const read = await online('c1');
    expect(read.text).toContain('"values":[12.5]');
    expect(read.text).toContain('"values":[9223372036854775806]');
    const nullValue = (await online('c2')).json as { results: { statuses: string[] }[] };
    expect(nullValue.results[1]!.statuses).toEqual(['NULL_VALUE']);
  });

  it('defaults to online, as Feast does', async () => {
    const answer = await server.post('/push', {
      push_source_name: 'customer_push',
      df: {
        customer_id: ['c3'],
        event_timestamp: ['2024-01-01T00:00:00Z'],
        current_balance: [1],
        lifetime_trips: [2],
      },
    });
    expect(answer.status).toBe(200);
    expect((await online('c3')).text).toContain('"values":[1]');
  });

  it('validates every row before writing anything', async () => {
    const answer = await server.post('/push', {
      push_source_name: 'customer_push',
      df: {
        customer_id: ['c4', 'c5'],
        event_timestamp: ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z'],
        current_balance: [1, 'lots'],
        lifetime_trips: [1, 2],
      },
    });
    expect(answer.status).toBe(400);
    expect(errorOf(answer).message).toMatch(/current_balance/);
    const read = (await online('c4')).json as { results: { statuses: string[] }[] };
    expect(read.results[1]!.statuses).toEqual(['NOT_FOUND']);
  });

  it('answers 404 for unknown or non-push sources, 400 for bad bodies', async () => {
    const df = { customer_id: ['c1'], event_timestamp: ['2024-01-01T00:00:00Z'] };
    const unknown = await server.post('/push', { push_source_name: 'nope', df });
    expect([unknown.status, errorOf(unknown).code]).toEqual([404, 'UNKNOWN_PUSH_SOURCE']);
    const batch = await server.post('/push', { push_source_name: 'not_a_push_source', df });
    expect(batch.status).toBe(404);
    const to = await server.post('/push', { push_source_name: 'customer_push', df, to: 'somewhere' });
    expect([to.status, errorOf(to).message]).toEqual([400, expect.stringMatching(/^body\.to: /)]);
    const ragged = await server.post('/push', {
      push_source_name: 'customer_push',
      df: { customer_id: ['a', 'b'], event_timestamp: ['2024-01-01T00:00:00Z'] },
    });
    expect([ragged.status, errorOf(ragged).message]).toEqual([
      400,
      expect.stringMatching(/differ in length/),
    ]);
  });
});

describe('POST /materialize and /materialize-incremental', () => {
  it("takes Feast's bodies and reports per view", async () => {
    const answer = await server.post('/materialize', {
      start_ts: '2024-01-01T00:00:00',
      end_ts: '2024-01-02T00:00:00Z',
      feature_views: ['customer_profile'],
      disable_event_timestamp: false,
    });
    expect(answer.status).toBe(200);
    const views = (answer.json as { views: { view: string; rows: number }[] }).views;
    expect(views.map((v) => v.view)).toEqual(['customer_profile']);
    const incremental = await server.post('/materialize-incremental', {
      end_ts: '2024-01-02T00:00:00Z',
      feature_views: ['customer_profile'],
    });
    expect(incremental.status).toBe(200);
    const metrics = await server.get('/metrics');
    expect(metrics.text).toMatch(/trove_materialize_duration_seconds_count\{endpoint="materialize"\} 1/);
  });

  it('answers 409 while the view is being materialized', async () => {
    const lock = await ViewLock.acquire(server.store.online(), 'customer_profile');
    try {
      const answer = await server.post('/materialize-incremental', {
        end_ts: '2024-01-02T00:00:00Z',
        feature_views: ['customer_profile'],
      });
      expect(answer.status).toBe(409);
      expect(errorOf(answer).code).toBe('MATERIALIZATION_IN_PROGRESS');
    } finally {
      await lock.release();
    }
  });

  it('answers 400 for bad timestamps, 404 for unknown views', async () => {
    const bad = await server.post('/materialize', { start_ts: 'yesterday', end_ts: '2024-01-02T00:00:00Z' });
    expect([bad.status, errorOf(bad).message]).toEqual([400, expect.stringMatching(/body\.start_ts/)]);
    const reversed = await server.post('/materialize', { start_ts: '2024-01-03', end_ts: '2024-01-02' });
    expect(reversed.status).toBe(400);
    const missing = await server.post('/materialize-incremental', {});
    expect([missing.status, errorOf(missing).message]).toEqual([400, expect.stringMatching(/body\.end_ts/)]);
    const unknown = await server.post('/materialize-incremental', {
      end_ts: '2024-01-02',
      feature_views: ['nope'],
    });
    expect([unknown.status, errorOf(unknown).code]).toEqual([404, 'UNKNOWN_FEATURE_VIEW']);
  });
});
