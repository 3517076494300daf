/**
 * The general client's connection (health probes, locks, watermarks, newest event times, and
 * everything in a cluster) when it stops answering: a stalled Redis, or a connection cut without a
 * reset. It is dropped and replaced, so the commands sent on it are failed and freed instead of
 * held until it answers, and the client serves again as soon as a new connection works.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServerProcess } from '../../drills/support/redis-server-process.ts';
import { UnavailableError } from '../../src/errors.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { startFreezableProxy } from './freezable-proxy.ts';
import { openStore, REDIS_URL, uniquePrefix } from './online-fixture.ts';

const TIMEOUT_MS = 300;
/** A failed probe answers within its command timeout and a late timer's worth. */
const FAIL_WITHIN_MS = TIMEOUT_MS + 200;

/**
 * Pings every 50 ms until one succeeds or `limitMs` passes; checks each failure is an
 * UnavailableError that came in time. Resolves to when the first success started (ms from now).
 */
async function pingUntilAnswered(store: OnlineStore, limitMs: number): Promise<number> {
  const began = performance.now();
  while (performance.now() - began < limitMs) {
    const t = performance.now();
    try {
      await store.ping();
      return t - began;
    } catch (err) {
      expect(err).toBeInstanceOf(UnavailableError);
      expect(performance.now() - t).toBeLessThan(FAIL_WITHIN_MS);
    }
    await sleep(50);
  }
  return Number.POSITIVE_INFINITY;
}

describe("the general client's connection, when it stops answering", () => {
  it('is replaced when it was cut without a reset, so probes succeed again', async () => {
    const proxy = await startFreezableProxy(new URL(REDIS_URL));
    const store = openStore(uniquePrefix(), {
      redis: proxy.url,
      connectTimeoutMs: TIMEOUT_MS,
      commandTimeoutMs: TIMEOUT_MS,
    });
    try {
      await store.ping();
      const connections = proxy.connections;
      proxy.freeze();
      // The frozen connection never answers again; only a new one can.
      expect(await pingUntilAnswered(store, 5000)).toBeLessThan(2000);
      expect(proxy.connections).toBeGreaterThan(connections);
    } finally {
      await store.close();
      await proxy.close();
    }
  });

  describe('when Redis stalls (SIGSTOP)', () => {
    let redis: RedisServerProcess;
    beforeAll(async () => {
      redis = await RedisServerProcess.start();
    });
    afterAll(async () => {
      await redis.stop();
    });

    it('is dropped while stalled, failing its commands in time, and serves again after', async () => {
      const store = openStore(uniquePrefix(), {
        redis: redis.url,
        connectTimeoutMs: TIMEOUT_MS,
        commandTimeoutMs: TIMEOUT_MS,
      });
      let closes = 0;
      store.client.on('close', () => closes++);
      try {
        await store.ping();
        redis.pause();
        // Probes keep coming while Redis is stopped; each fails in time.
        const began = performance.now();
        const probes: Promise<void>[] = [];
        while (performance.now() - began < 1500) {
          const t = performance.now();
          probes.push(
            store.ping().then(
              () => {
                throw new Error('a ping was answered while Redis was stopped');
              },
              (err: unknown) => {
                expect(err).toBeInstanceOf(UnavailableError);
                expect(performance.now() - t).toBeLessThan(FAIL_WITHIN_MS);
              },
            ),
          );
          await sleep(20);
        }
        await Promise.all(probes);
        // The stalled connection was let go, with the commands it held, not kept waiting.
        expect(closes).toBeGreaterThan(0);
        redis.resume();
        expect(await pingUntilAnswered(store, 5000)).toBeLessThan(2000);
      } finally {
        redis.resume();
        await store.close();
      }
    });
  });
});
