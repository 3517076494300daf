/**
 * A Redis connection that stops answering (a stalled server, or a connection cut without a reset)
 * is dropped and replaced: the commands sent on it are failed and freed instead of held until it
 * answers, and service resumes as soon as a new connection works.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServerProcess } from '../../drills/support/redis-server-process.ts';
import { UnavailableError } from '../../src/errors.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { startFreezableProxy } from './freezable-proxy.ts';
import { makeRegistry, openStore, REDIS_URL, uniquePrefix, writeRows } from './online-fixture.ts';

const registry = makeRegistry({
  views: [
    { name: 'stats', entities: ['driver'], source: 'src', features: [{ name: 'rate', type: 'float64' }] },
  ],
});
const request = { entities: { driver_id: [7] }, features: ['stats:rate'] };
const TIMEOUT_MS = 300;
/** A failed read answers within its command timeout and a late timer's worth. */
const FAIL_WITHIN_MS = TIMEOUT_MS + 200;

async function seed(store: OnlineStore): Promise<void> {
  await writeRows(store, registry, 'stats', [{ key: [7n], event: 1_700_000_000_000_000n, values: [0.5] }]);
}

/**
 * Reads every 50 ms until one succeeds or `limitMs` passes; checks each failure is an
 * UnavailableError that came in time. Resolves to when the first success started (ms after now).
 */
async function readUntilServed(store: OnlineStore, limitMs: number): Promise<number> {
  const began = performance.now();
  while (performance.now() - began < limitMs) {
    const t = performance.now();
    try {
      const answer = await store.read(registry, request);
      expect(answer.results[1]?.values).toEqual([0.5]);
      return t - began;
    } catch (err) {
      expect(err).toBeInstanceOf(UnavailableError);
      expect(performance.now() - t).toBeLessThan(FAIL_WITHIN_MS);
    }
    await sleep(50);
  }
  return Number.POSITIVE_INFINITY;
}

describe('a connection that stops answering', () => {
  it('is replaced when it was cut without a reset, so reads resume', async () => {
    const proxy = await startFreezableProxy(new URL(REDIS_URL));
    const store = openStore(uniquePrefix(), {
      redis: proxy.url,
      connectTimeoutMs: TIMEOUT_MS,
      commandTimeoutMs: TIMEOUT_MS,
    });
    try {
      await seed(store);
      await store.read(registry, request);
      proxy.freeze();
      // The frozen connection never answers again; only a new one can serve.
      const servedAfter = await readUntilServed(store, 5000);
      expect(servedAfter).toBeLessThan(2000);
      expect(proxy.connections).toBeGreaterThan(1);
    } finally {
      await store.teardown().catch(() => undefined);
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

    it('is dropped while stalled, failing its commands in time, and service resumes after', async () => {
      const store = openStore(uniquePrefix(), {
        redis: redis.url,
        connectTimeoutMs: TIMEOUT_MS,
        commandTimeoutMs: TIMEOUT_MS,
      });
      let closes = 0;
      store.client.on('close', () => closes++);
      try {
        await seed(store);
        redis.pause();
        // Reads keep coming while Redis is stopped; each fails in time.
        const stalledFor = 1500;
        const began = performance.now();
        const reads: Promise<void>[] = [];
        while (performance.now() - began < stalledFor) {
          const t = performance.now();
          reads.push(
            store.read(registry, request).then(
              () => {
                throw new Error('a read succeeded while Redis was stopped');
              },
              (err: unknown) => {
                expect(err).toBeInstanceOf(UnavailableError);
                expect(performance.now() - t).toBeLessThan(FAIL_WITHIN_MS);
              },
            ),
          );
          await sleep(20);
        }
        await Promise.all(reads);
        // The stalled connection was let go (with the commands it held), not kept waiting.
        expect(closes).toBeGreaterThan(0);
        redis.resume();
        expect(await readUntilServed(store, 5000)).toBeLessThan(2000);
      } finally {
        redis.resume();
        await store.close();
      }
    });
  });
});
