/**
 * The online store on a Redis Cluster whose nodes misbehave: a read goes to each master once; a
 * master that stalls fails the requests it holds in time and serves again when it wakes; a master
 * killed outright is replaced by its replica, and the same store reads and writes again without
 * being reopened (the promoted node, which never ran the write script, is sent it).
 *
 * The cluster here is its own (ports 7111-7116), so stopping its nodes disturbs no other suite.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/errors.ts';
import { readNewestEvents, recordNewestEvent } from '../../src/materialize/newest-event.ts';
import { readViewFreshness } from '../../src/materialize/view-freshness.ts';
import { keySlot } from '../../src/online/key-slot.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { isCluster } from '../../src/online/redis-client.ts';
import { countWrites, makeRegistry, openStore, uniquePrefix, writeRows } from './online-fixture.ts';

const SCRIPT = path.resolve(import.meta.dirname, '..', '..', 'scripts', 'redis-cluster.sh');
const FIRST_PORT = 7111;
const PORTS = [0, 1, 2, 3, 4, 5].map((i) => FIRST_PORT + i);
const NODES = PORTS.map((p) => `127.0.0.1:${p}`);
/** How long a master may be silent before its replica takes over. */
const NODE_TIMEOUT_MS = 2000;
const DIR = `/tmp/trove-redis-cluster-test-${randomUUID().slice(0, 8)}`;
const ENV = {
  ...process.env,
  REDIS_CLUSTER_PORT: String(FIRST_PORT),
  REDIS_CLUSTER_DIR: DIR,
  REDIS_CLUSTER_NODE_TIMEOUT: String(NODE_TIMEOUT_MS),
};
const TIMEOUT_MS = 300;
/** A failed request answers within its deadline and a late timer's worth. */
const FAIL_WITHIN_MS = 2 * TIMEOUT_MS + 300;

const registry = makeRegistry({
  views: [{ name: 'stats', entities: ['driver'], source: 'src', features: [{ name: 'n', type: 'int64' }] }],
});
const T0 = 1_700_000_000_000_000n;
const NOW_MS = Number(T0 / 1000n) + 1000;
const DRIVERS = Array.from({ length: 300 }, (_, i) => i + 1);

function cluster(...args: string[]): string {
  return execFileSync(SCRIPT, args, { env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function pidOf(port: number): number {
  return Number(readFileSync(path.join(DIR, String(port), 'redis.pid'), 'utf8').trim());
}

/** A store with short timeouts, once it has reached every master (on a busy machine, in time). */
async function open(): Promise<OnlineStore> {
  const store = openStore(uniquePrefix(), {
    cluster: NODES.slice(0, 3),
    connectTimeoutMs: TIMEOUT_MS,
    commandTimeoutMs: TIMEOUT_MS,
  });
  for (let attempt = 0; ; attempt++) {
    try {
      await write(store, 0n);
      await readAll(store);
      return store;
    } catch (err) {
      if (attempt === 20) throw err;
      await sleep(100);
    }
  }
}

async function write(store: OnlineStore, n: bigint): Promise<void> {
  await writeRows(
    store,
    registry,
    'stats',
    DRIVERS.map((d) => ({ key: [BigInt(d)], event: T0 + n, values: [n * 1000n + BigInt(d)] })),
  );
}

async function readAll(store: OnlineStore): Promise<unknown[]> {
  const res = await store.read(registry, { entities: { driver_id: DRIVERS }, features: ['stats:n'] }, NOW_MS);
  return res.results[1]!.values;
}

const expected = (n: bigint) => DRIVERS.map((d) => n * 1000n + BigInt(d));

/** Reads until one answers `n`'s values or `limitMs` passes; resolves to how long it took. */
async function readUntil(store: OnlineStore, n: bigint, limitMs: number): Promise<number> {
  const began = performance.now();
  while (performance.now() - began < limitMs) {
    try {
      const values = await readAll(store);
      expect(values).toEqual(expected(n));
      return performance.now() - began;
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
    }
    await sleep(50);
  }
  return Number.POSITIVE_INFINITY;
}

/** The master serving a driver's entity hash: its port. */
async function masterPortOf(store: OnlineStore, driver: number): Promise<number> {
  const client = store.client;
  if (!isCluster(client)) throw new Error('not a cluster');
  const key = store.keys.entity(store.codec(registry, 'stats').entityKeys.text([BigInt(driver)]));
  const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
  const slots = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
  const range = slots.find(([from, to]) => slot >= from && slot <= to);
  if (!range) throw new Error(`no node serves slot ${slot}`);
  return range[2][1];
}

beforeAll(() => {
  cluster('start');
}, 120_000);
afterAll(() => {
  cluster('stop');
});

describe('the online store on a Redis Cluster', () => {
  it('reads many entities in one round trip per master', async () => {
    const store = await open();
    try {
      await write(store, 1n);
      expect(await readAll(store)).toEqual(expected(1n));
      const writes = await countWrites(store);
      expect(await readAll(store)).toEqual(expected(1n));
      // 300 entities over three masters: each is asked once, for all of its entities together.
      expect(writes.stop()).toEqual([1, 1, 1]);
    } finally {
      await store.teardown();
      await store.close();
    }
  });

  it('reads every view’s freshness at once, the views’ hashes in different slots', async () => {
    const views = ['a', 'b', 'c', 'd', 'e', 'f'];
    const many = makeRegistry({
      views: views.map((name) => ({
        name,
        entities: ['driver'],
        source: 'src',
        features: [{ name: 'n', type: 'int64' }],
      })),
    });
    const slots = new Set(views.map((v) => keySlot(`x:wm:{${v}}`)));
    expect(slots.size).toBe(views.length);
    const store = await open();
    try {
      const freshness = await readViewFreshness(store, many);
      expect(Object.keys(freshness).sort()).toEqual(views);
      for (const v of views) expect(freshness[v]).toEqual({ newestEventTime: null, watermark: null });
      await recordNewestEvent(store, store.codec(many, 'c'), T0);
      const newest = await readNewestEvents(store, many);
      expect(newest.c).toEqual(new Date(Number(T0 / 1000n)));
      expect(newest.a).toBeNull();
    } finally {
      await store.teardown();
      await store.close();
    }
  });

  it('follows ASK while a slot migrates, and MOVED once it has moved, for reads and writes', async () => {
    const store = await open();
    const admins: Redis[] = [];
    const admin = (port: number): Redis => {
      const r = new Redis({ host: '127.0.0.1', port });
      admins.push(r);
      return r;
    };
    try {
      await write(store, 8n);
      const key = store.keys.entity(store.codec(registry, 'stats').entityKeys.text([BigInt(DRIVERS[0]!)]));
      const slot = keySlot(key);
      const sourcePort = await masterPortOf(store, DRIVERS[0]!);
      const client = store.client;
      if (!isCluster(client)) throw new Error('not a cluster');
      const masterPorts = client.nodes('master').map((n) => Number(n.options.port));
      const targetPort = masterPorts.find((p) => p !== sourcePort)!;
      const source = admin(sourcePort);
      const target = admin(targetPort);
      const sourceId = String(await source.call('CLUSTER', 'MYID'));
      const targetId = String(await target.call('CLUSTER', 'MYID'));
      await target.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', sourceId);
      await source.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId);
      const keys = (await source.call('CLUSTER', 'GETKEYSINSLOT', slot, 1000)) as string[];
      expect(keys).toContain(key);
      await source.call('MIGRATE', '127.0.0.1', targetPort, '', 0, 5000, 'KEYS', ...keys);
      // Mid-migration: the source answers ASK for the keys it no longer has.
      expect(await readAll(store)).toEqual(expected(8n));
      for (const port of masterPorts) await admin(port).call('CLUSTER', 'SETSLOT', slot, 'NODE', targetId);
      // Moved: the source answers MOVED.
      expect(await readAll(store)).toEqual(expected(8n));
      await write(store, 9n);
      expect(await readAll(store)).toEqual(expected(9n));
      expect(await masterPortOf(store, DRIVERS[0]!)).toBe(targetPort);
    } finally {
      for (const r of admins) r.disconnect();
      await store.teardown();
      await store.close();
    }
  });

  it('fails requests held by a stalled master in time, and serves again once it wakes', async () => {
    const store = await open();
    const port = await masterPortOf(store, DRIVERS[0]!);
    try {
      await write(store, 2n);
      expect(await readAll(store)).toEqual(expected(2n));
      process.kill(pidOf(port), 'SIGSTOP');
      try {
        // Shorter than the node timeout: the cluster waits for the master rather than failing over.
        const began = performance.now();
        while (performance.now() - began < 600) {
          const t = performance.now();
          const err = await readAll(store).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(UnavailableError);
          expect(performance.now() - t).toBeLessThan(FAIL_WITHIN_MS);
        }
      } finally {
        process.kill(pidOf(port), 'SIGCONT');
      }
      expect(await readUntil(store, 2n, 5000)).toBeLessThan(3000);
      await write(store, 3n);
      expect(await readAll(store)).toEqual(expected(3n));
    } finally {
      await store.teardown();
      await store.close();
    }
  });

  it('follows the slots to the replica that took over from a master stalled too long, once it wakes', async () => {
    const store = await open();
    const port = await masterPortOf(store, DRIVERS[0]!);
    try {
      await write(store, 6n);
      const client = store.client;
      if (!isCluster(client)) throw new Error('not a cluster');
      for (const node of client.nodes('master')) await node.call('WAIT', 1, 2000);
      process.kill(pidOf(port), 'SIGSTOP');
      try {
        await sleep(2 * NODE_TIMEOUT_MS + 1000);
      } finally {
        process.kill(pidOf(port), 'SIGCONT');
      }
      // The woken master is a replica now and answers MOVED for its old slots, one per slot.
      expect(await readUntil(store, 6n, 10_000)).toBeLessThan(8000);
      await write(store, 7n);
      expect(await readAll(store)).toEqual(expected(7n));
      expect(await masterPortOf(store, DRIVERS[0]!)).not.toBe(port);
    } finally {
      await store.teardown();
      await store.close();
    }
  });

  it('reads and writes again, without being reopened, once a killed master’s replica takes over', async () => {
    const store = await open();
    const port = await masterPortOf(store, DRIVERS[0]!);
    try {
      await write(store, 4n);
      expect(await readAll(store)).toEqual(expected(4n));
      // Replication is asynchronous: wait until the replicas have what was written.
      const client = store.client;
      if (!isCluster(client)) throw new Error('not a cluster');
      for (const node of client.nodes('master')) await node.call('WAIT', 1, 2000);
      process.kill(pidOf(port), 'SIGKILL');
      expect(await readUntil(store, 4n, 20_000)).toBeLessThan(15_000);
      // The promoted replica never ran the write script: it is sent in full, then writes go on.
      let written = false;
      const began = performance.now();
      while (!written && performance.now() - began < 10_000) {
        try {
          await write(store, 5n);
          written = true;
        } catch (err) {
          if (!(err instanceof UnavailableError)) throw err;
          await sleep(100);
        }
      }
      expect(written).toBe(true);
      expect(await readAll(store)).toEqual(expected(5n));
    } finally {
      cluster('start-node', String(port));
      await store.teardown();
      await store.close();
    }
  });
});
