/**
 * Health and bounded waiting: a Redis that refuses or never answers gives 503 within the store
 * deadline, /health reports it, and the server keeps serving what does not need Redis.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServerProcess } from '../../drills/support/redis-server-process.ts';
import type { FeatureStore } from '../../src/feature-store.ts';
import type { ServingStore } from '../../src/server/serving-store.ts';
import { startFreezableProxy } from '../online/freezable-proxy.ts';
import { errorOf, REDIS_URL, startTestServer, type TestServer } from './server-fixture.ts';

/** A TCP server that accepts connections and never answers: a stalled Redis. */
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  silent = createServer((socket) => {
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => silent.close(resolve));
});

const online = { entities: { driver_id: [1] }, features: ['driver_hourly_stats:conv_rate'] };

describe('availability', () => {
  it('answers /health 200 when the registry and Redis answer', async () => {
    const server = await startTestServer();
    try {
      const health = await server.get('/health');
      expect(health.status).toBe(200);
      expect(health.json).toMatchObject({ status: 'ok', registry_version: 1 });
    } finally {
      await server.close();
    }
  });

  for (const [what, url] of [
    ['refuses connections', 'redis://127.0.0.1:1'],
    ['never answers', 'silent'],
  ] as const) {
    it(`answers 503 in bounded time when Redis ${what}`, async () => {
      const port = (silent.address() as { port: number }).port;
      const server: TestServer = await startTestServer({
        redisUrl: url === 'silent' ? `redis://127.0.0.1:${port}` : url,
        options: { storeTimeoutMs: 500 },
      });
      try {
        for (const call of [() => server.get('/health'), () => server.post('/get-online-features', online)]) {
          const began = performance.now();
          const answer = await call();
          expect(answer.status).toBe(503);
          expect(errorOf(answer).code).toBe('STORE_UNAVAILABLE');
          expect(performance.now() - began).toBeLessThan(3000);
        }

        // What needs only the registry still works.
        expect((await server.get('/feature-views/driver_profile')).status).toBe(200);
      } finally {
        await server.close();
      }
    });
  }

  it('answers /health 503 at once when a Redis it was connected to goes away, and 200 when it is back', async () => {
    const redis = await RedisServerProcess.start();
    const server = await startTestServer({ redisUrl: redis.url, options: { storeTimeoutMs: 2000 } });
    try {
      expect((await server.get('/health')).status).toBe(200);
      await redis.kill();
      // A lost connection is known at once: /health does not wait out the store deadline.
      for (let i = 0; i < 3; i++) {
        const began = performance.now();
        expect((await server.get('/health')).status).toBe(503);
        expect(performance.now() - began).toBeLessThan(500);
      }
      await redis.startProcess();
      await new Promise((r) => setTimeout(r, 150));
      expect((await server.get('/health')).status).toBe(200);
    } finally {
      await server.close();
      await redis.stop();
    }
  });

  it('answers 503, not 500, when the store fails unexpectedly, and 503 when the registry is unreadable', async () => {
    const failing = (store: FeatureStore): ServingStore =>
      Object.assign(Object.create(store) as FeatureStore, {
        getOnlineFeatures: async () => {
          throw new TypeError('socket hang up');
        },
      });
    const server = await startTestServer({ wrap: failing });
    try {
      const answer = await server.post('/get-online-features', online);
      expect(answer.status).toBe(503);
      expect(errorOf(answer).message).toMatch(/socket hang up/);
      const { writeFile } = await import('node:fs/promises');
      await writeFile(server.store.config.registryPath, '{not json');
      const registry = await server.get('/feature-views');
      expect([registry.status, errorOf(registry).code]).toEqual([503, 'STORE_UNAVAILABLE']);
      expect((await server.get('/health')).status).toBe(503);
    } finally {
      await server.close();
    }
  });
});

describe('after the Redis connection is cut without a reset', () => {
  it('answers /health and /push again: no connection is kept that will never answer', async () => {
    const proxy = await startFreezableProxy(new URL(REDIS_URL));
    const server = await startTestServer({ redisUrl: proxy.url });
    const push = () =>
      server.post('/push', {
        push_source_name: 'customer_push',
        df: {
          customer_id: ['c1'],
          event_timestamp: [new Date().toISOString()],
          current_balance: [1],
          lifetime_trips: [2],
        },
      });
    try {
      expect((await server.get('/health')).status).toBe(200);
      expect((await push()).status).toBe(200);
      proxy.freeze();
      // Every connection open now is silent for good; answers need new ones, which the store's
      // connections open after a command timeout (twice it for reads and writes) of silence.
      const began = performance.now();
      let health = 0;
      let pushed = 0;
      while (performance.now() - began < 10_000 && (health !== 200 || pushed !== 200)) {
        health = (await server.get('/health')).status;
        pushed = (await push()).status;
        expect([200, 503]).toContain(health);
        expect([200, 503]).toContain(pushed);
      }
      expect([health, pushed]).toEqual([200, 200]);
    } finally {
      await server.close();
      await proxy.close();
    }
  });
});
