/**
 * The online store on a Sentinel-watched master: writes confirmed by a replica
 * (`onlineStore.waitReplicas`) survive the master being killed; once the sentinels promote the
 * replica, the same store (its own connections and its general client) reads and writes again
 * without being reopened; and while the new master has no replica, waited-on writes fail rather
 * than being acknowledged unconfirmed.
 *
 * The master, replica and sentinels here are their own (ports 7211-7215), so killing the master
 * disturbs no other suite.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { makeRegistry, openStore, uniquePrefix, writeRows } from './online-fixture.ts';

const SCRIPT = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'redis-sentinel.sh');
const FIRST_PORT = 7211;
const SENTINELS = [2, 3, 4].map((i) => `127.0.0.1:${FIRST_PORT + i}`);
const DIR = `/tmp/trove-redis-sentinel-test-${randomUUID().slice(0, 8)}`;
const ENV = {
  ...process.env,
  REDIS_SENTINEL_PORT: String(FIRST_PORT),
  REDIS_SENTINEL_DIR: DIR,
  REDIS_SENTINEL_DOWN_AFTER: '1000',
};
const TIMEOUT_MS = 500;

const registry = makeRegistry({
  views: [{ name: 'stats', entities: ['driver'], source: 'src', features: [{ name: 'n', type: 'int64' }] }],
});
const T0 = 1_700_000_000_000_000n;
const NOW_MS = Number(T0 / 1000n) + 1000;
const DRIVERS = Array.from({ length: 50 }, (_, i) => i + 1);

function sentinel(...args: string[]): string {
  return execFileSync(SCRIPT, args, { env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function pidOf(port: number): number {
  return Number(readFileSync(path.join(DIR, String(port), 'redis.pid'), 'utf8').trim());
}

function write(store: OnlineStore, n: bigint): Promise<number> {
  return writeRows(
    store,
    registry,
    'stats',
    DRIVERS.map((d) => ({ key: [BigInt(d)], event: T0 + n, values: [n * 1000n + BigInt(d)] })),
  );
}

async function readAll(store: OnlineStore): Promise<unknown[]> {
  const response = await store.read(
    registry,
    { entities: { driver_id: DRIVERS }, features: ['stats:n'] },
    NOW_MS,
  );
  return response.results[1]!.values;
}

const expected = (n: bigint): bigint[] => DRIVERS.map((d) => n * 1000n + BigInt(d));

/** Runs `attempt` until it succeeds or `withinMs` passes; unavailability is retried, nothing else. */
async function until<T>(attempt: () => Promise<T>, withinMs: number): Promise<T> {
  const began = performance.now();
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof UnavailableError) || performance.now() - began > withinMs) throw err;
      await sleep(100);
    }
  }
}

describe('online store under Sentinel', () => {
  beforeAll(() => {
    sentinel('start');
  }, 60_000);

  afterAll(() => {
    sentinel('stop');
  });

  it('keeps replica-confirmed writes across a failover and serves again without being reopened', async () => {
    const store = openStore(uniquePrefix(), {
      sentinel: { sentinels: SENTINELS, name: 'trove' },
      waitReplicas: 1,
      connectTimeoutMs: TIMEOUT_MS,
      commandTimeoutMs: TIMEOUT_MS,
      waitReplicasTimeoutMs: 400,
    });
    try {
      expect(await until(() => write(store, 1n), 10_000)).toBe(DRIVERS.length);
      expect(await readAll(store)).toEqual(expected(1n));
      await store.ping();

      const master = sentinel('master').trim();
      const masterPort = Number(master.split(':')[1]);
      process.kill(pidOf(masterPort), 'SIGKILL');

      // Every acknowledged write was confirmed by the replica, which the sentinels promote.
      expect(await until(() => readAll(store), 20_000)).toEqual(expected(1n));
      expect(sentinel('master').trim()).not.toBe(master);
      await until(() => store.ping(), 10_000);

      // The promoted master has no replica yet: a write it cannot have confirmed is refused.
      const refused = await write(store, 2n).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(UnavailableError);
      expect(String(refused)).toMatch(/0 of the 1 replicas required \(onlineStore\.waitReplicas\)/);

      // The old master comes back as a replica: writes are confirmed and acknowledged again.
      sentinel('start-node', String(masterPort));
      await until(() => write(store, 3n), 20_000);
      expect(await readAll(store)).toEqual(expected(3n));
    } finally {
      await store.teardown().catch(() => 0);
      await store.close();
    }
  }, 90_000);
});
