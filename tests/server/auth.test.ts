/** API keys and scopes: who may call what, and keys never reach the log. */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore } from '../../src/feature-store.ts';
import { buildServer } from '../../src/server/app.ts';
import { rawHead, rawRequest } from '../helpers/raw-http.ts';
import { errorOf, startTestServer, type TestServer } from './server-fixture.ts';

const READ = 'read-key-0123456789abcdef';
const WRITE = 'write-key-0123456789abcdef';
const ADMIN = 'admin-key-0123456789abcdef';

let server: TestServer;
const logLines: string[] = [];

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  server = await startTestServer({
    options: {
      apiKeys: [
        { key: READ, scopes: ['read'], name: 'reader' },
        { keyEnv: 'TEST_WRITE_KEY', scopes: ['write'], name: 'writer' },
        { key: ADMIN, scopes: ['admin'], name: 'admin' },
      ],
      env: { TEST_WRITE_KEY: WRITE },
      logger: { level: 'trace', stream: sink },
    },
  });
});

afterAll(async () => {
  await server?.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const online = { entities: { driver_id: [1] }, features: ['driver_hourly_stats:conv_rate'] };
const push = {
  push_source_name: 'customer_push',
  df: {
    customer_id: ['a'],
    event_timestamp: ['2024-01-01T00:00:00Z'],
    current_balance: [1],
    lifetime_trips: [1],
  },
};

describe('API keys', () => {
  it('asks for a key (401) when none or an unknown one is given', async () => {
    const attempts: Record<string, string>[] = [
      {},
      bearer('not-a-key-0123456789'),
      { authorization: 'Basic abc' },
      { 'x-api-key': 'x' },
    ];
    for (const headers of attempts) {
      const answer = await server.post('/get-online-features', online, headers);
      expect(answer.status).toBe(401);
      expect(errorOf(answer).code).toBe('UNAUTHENTICATED');
    }
    expect((await server.get('/feature-views')).status).toBe(401);
    expect((await server.get('/metrics')).status).toBe(401);
    expect((await server.get('/no-such-route')).status).toBe(401);
  });

  it('grants each scope its routes; admin grants all (403 otherwise)', async () => {
    expect((await server.post('/get-online-features', online, bearer(READ))).status).toBe(200);
    expect((await server.post('/get-online-features', online, { 'x-api-key': READ })).status).toBe(200);
    expect((await server.get('/feature-views', bearer(READ))).status).toBe(200);
    const readPush = await server.post('/push', push, bearer(READ));
    expect([readPush.status, errorOf(readPush).code]).toEqual([403, 'FORBIDDEN']);
    expect(errorOf(readPush).message).toBe('API key reader lacks the write scope');

    expect((await server.post('/push', push, bearer(WRITE))).status).toBe(200);
    expect((await server.post('/get-online-features', online, bearer(WRITE))).status).toBe(403);
    const materialize = { end_ts: '2024-01-01T00:00:00Z', feature_views: ['customer_profile'] };
    expect((await server.post('/materialize-incremental', materialize, bearer(WRITE))).status).toBe(403);

    expect((await server.post('/materialize-incremental', materialize, bearer(ADMIN))).status).toBe(200);
    expect((await server.post('/push', push, bearer(ADMIN))).status).toBe(200);
    expect((await server.post('/get-online-features', online, bearer(ADMIN))).status).toBe(200);
  });

  it('leaves /health open for load balancers', async () => {
    expect((await server.get('/health')).status).toBe(200);
  });

  it('never logs a key', async () => {
    await server.post('/get-online-features', online, bearer(READ));
    await server.post('/push', push, { 'x-api-key': WRITE });
    expect(logLines.length).toBeGreaterThan(0);
    const log = logLines.join('');
    for (const key of [READ, WRITE, ADMIN]) expect(log).not.toContain(key);
  });
});

describe('requests the HTTP parser rejects', () => {
  const port = () => Number(new URL(server.base).port);
  const head = (headers: [string, string][]) =>
    rawHead('GET', '/registry', [['Host', 'localhost'], ...headers, ['Connection', 'close']]);
  const bytesOf = (text: string) => [...Buffer.from(text)].join(',');

  it('are answered in the error shape, and none of their bytes (keys included) is logged', async () => {
    const control = await rawRequest(port(), head([['Authorization', `Bearer ${READ}\u0001`]]));
    expect(control.status).toBe(400);
    expect(JSON.parse(control.body).error.code).toBe('MALFORMED_HTTP');
    const oversize = await rawRequest(
      port(),
      head([
        ['Authorization', `Bearer ${ADMIN}`],
        ['X-Padding', 'p'.repeat(20_000)],
      ]),
    );
    expect(oversize.status).toBe(431);
    expect(JSON.parse(oversize.body).error.code).toBe('HEADERS_TOO_LARGE');
    const log = logLines.join('');
    expect(log).toContain('malformed request refused');
    for (const key of [READ, ADMIN]) {
      expect(log).not.toContain(key);
      expect(log).not.toContain(bytesOf(key.slice(0, 12)));
    }
  });
});

describe('binding beyond loopback', () => {
  it('refuses to start without keys; starts with them', async () => {
    const store = await FeatureStore.open(server.repoDir, { env: { TROVE_API_KEYS: '' } });
    try {
      const base = { bodyLimitBytes: 1024, maxEntities: 10, env: {} };
      await expect(buildServer(store, { ...base, host: '0.0.0.0', apiKeys: [] })).rejects.toThrow(
        /refusing to serve on 0\.0\.0\.0 without API keys/,
      );
      await expect(buildServer(store, { ...base, host: '::', apiKeys: [] })).rejects.toThrow(/refusing/);
      for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) {
        await (await buildServer(store, { ...base, host, apiKeys: [] })).close();
      }
      const app = await buildServer(store, {
        ...base,
        host: '0.0.0.0',
        apiKeys: [{ key: ADMIN, scopes: ['admin'] }],
      });
      await app.close();
      await expect(
        buildServer(store, {
          ...base,
          host: '0.0.0.0',
          apiKeys: [{ keyEnv: 'UNSET_KEY_VAR', scopes: ['read'] }],
        }),
      ).rejects.toThrow(/UNSET_KEY_VAR is not set/);
    } finally {
      await store.close();
    }
  });
});
