import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisServerProcess } from '../../drills/support/redis-server-process.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { writeNewest } from '../../src/online/write-newest.ts';
import { WRITE_NEWEST_SHA } from '../../src/online/write-newest-script.ts';
import { compareRows, model, type Row, readRows, registry, rowArb } from './newest-wins-model.ts';
import { encodeRows, ON_CLUSTER, openStore, uniquePrefix } from './online-fixture.ts';

/**
 * Random writes, out of order, duplicated and split between racing clients, must leave each entity
 * with the row the model picks: greatest (event, created), a null created ranking lowest, and of
 * rows tying exactly on both, the greatest features (SPEC §4, §5). The clients write the three ways
 * rows reach Redis: a push (the store's own connection), a materialization batch (its second
 * connection) and the general client (the path of a cluster).
 */

type Write = (store: OnlineStore, rows: readonly Row[]) => Promise<unknown>;

function encode(store: OnlineStore, rows: readonly Row[]) {
  return encodeRows(
    store,
    registry,
    'v',
    rows.map((r) => ({
      key: [BigInt(r.entity)],
      event: BigInt(r.event) * 1_000_000n,
      created: r.created === null ? null : BigInt(r.created),
      values: r.values,
    })),
  );
}

const pushed: Write = (store, rows) => store.write(encode(store, rows));

const materialized: Write = (store, rows) => {
  const batch = store.createWriteBatch();
  for (const w of encode(store, rows)) batch.add(w.key, w.field, w.tieTypes, w.value);
  return store.writeBatch(batch);
};

const general: Write = (store, rows) => writeNewest(store.client, encode(store, rows));

const stores: OnlineStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
});

async function withStores(
  n: number,
  run: (stores: OnlineStore[]) => Promise<void>,
  redis?: string,
): Promise<void> {
  const prefix = uniquePrefix();
  const opened = Array.from({ length: n }, () => openStore(prefix, redis ? { redis } : {}));
  stores.push(...opened);
  try {
    await run(opened);
  } finally {
    await opened[0]!.teardown();
  }
}

const batchesArb = fc.array(fc.array(rowArb, { minLength: 1, maxLength: 12 }), { maxLength: 5 });

describe('newest (event, created) wins, exact ties to the greatest features', () => {
  it('whatever the order, batching, duplication, connection and racing clients', async () => {
    await fc.assert(
      fc.asyncProperty(batchesArb, batchesArb, batchesArb, async (batchesA, batchesB, batchesC) => {
        await withStores(3, async ([a, b, c]) => {
          const run = async (store: OnlineStore, write: Write, batches: Row[][]) => {
            for (const batch of batches) await write(store, batch);
          };
          // Duplicates: the general client also replays the first batches of the others.
          const replay = [...batchesA.slice(0, 1), ...batchesB.slice(0, 1)];
          await Promise.all([
            run(a!, pushed, batchesA),
            run(b!, materialized, batchesB),
            run(c!, general, [...batchesC, ...replay]),
          ]);
          const expected = model([...batchesA.flat(), ...batchesB.flat(), ...batchesC.flat()]);
          expect(await readRows(a!)).toEqual(expected);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('a row tying exactly with a greater one never replaces it, on every connection', async () => {
    // Pairs of rows equal in (event, created) but not in features, the greater first.
    const pairs: [Row, Row][] = fc
      .sample(fc.tuple(rowArb, rowArb), { numRuns: 300, seed: 7 })
      .map(([x, y]): [Row, Row] => [x, { ...y, entity: x.entity, event: x.event, created: x.created }])
      .filter(([x, y]) => compareRows(x, y) !== 0)
      .map(([x, y]) => (compareRows(x, y) > 0 ? [x, y] : [y, x]));
    expect(pairs.length).toBeGreaterThan(100);
    // In a cluster the three ways are one: every write goes through the general client.
    const writes = ON_CLUSTER ? [general] : [pushed, materialized, general];
    await withStores(1, async ([store]) => {
      for (const write of writes) {
        for (const [greater, lower] of pairs) {
          const key = encode(store!, [greater])[0]!.key;
          await write(store!, [greater]);
          await write(store!, [lower]);
          expect(await readRows(store!)).toEqual(model([greater]));
          // And in one call, the lower row last.
          await store!.client.del(key);
          await write(store!, [greater, lower]);
          expect(await readRows(store!)).toEqual(model([greater]));
          await store!.client.del(key);
        }
      }
    });
  });
});

describe('on a Redis that lost the write script (new or restarted)', () => {
  it('every connection loads it and the rule holds', async () => {
    const redis = await RedisServerProcess.start();
    try {
      const [greater, lower] = fc
        .sample(fc.tuple(rowArb, rowArb), { numRuns: 100, seed: 11 })
        .map(([x, y]): [Row, Row] => [x, { ...y, entity: x.entity, event: x.event, created: x.created }])
        .find(([x, y]) => compareRows(x, y) > 0)!;
      for (const write of [pushed, materialized, general]) {
        await withStores(
          1,
          async ([store]) => {
            await store!.client.script('FLUSH');
            expect(await store!.client.script('EXISTS', WRITE_NEWEST_SHA)).toEqual([0]);
            await write(store!, [greater]);
            await store!.client.script('FLUSH');
            await write(store!, [lower]);
            expect(await store!.client.script('EXISTS', WRITE_NEWEST_SHA)).toEqual([1]);
            expect(await readRows(store!)).toEqual(model([greater]));
          },
          redis.url,
        );
      }
    } finally {
      await redis.stop();
    }
  });
});
