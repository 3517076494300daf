import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServerProcess } from '../../drills/support/redis-server-process.ts';
import { InsertFirst, PROBE_EVERY } from '../../src/online/insert-first.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { ROWS_PER_CALL, WRITE_NEWEST_LUA } from '../../src/online/write-newest-script.ts';
import { FEATURE_NAMES, model, type Row, readRows, registry, rowArb } from './newest-wins-model.ts';
import { encodeRows, openStore, uniquePrefix } from './online-fixture.ts';

/**
 * Materialization batches on a standalone Redis try `HSETNX` first and send only the rows it left
 * through the script, unless recent batches found their fields set already. Whichever way a batch
 * goes, newest wins; the command counts of a private Redis show which way each went.
 */

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

function writeBatch(store: OnlineStore, rows: readonly Row[]): Promise<number> {
  const batch = store.createWriteBatch();
  for (const w of encode(store, rows)) batch.add(w.key, w.field, w.tieTypes, w.value);
  return store.writeBatch(batch);
}

describe('InsertFirst', () => {
  it('tries inserts until a batch inserts fewer than half its rows, then probes every PROBE_EVERY', () => {
    const policy = new InsertFirst();
    expect(policy.next()).toBe(true);
    policy.observe(10, 5);
    expect(policy.next()).toBe(true);
    policy.observe(10, 4);
    const taken = Array.from({ length: 2 * PROBE_EVERY }, () => policy.next());
    expect(taken.filter(Boolean)).toHaveLength(2);
    expect(taken[PROBE_EVERY - 1]).toBe(true);
    expect(taken[2 * PROBE_EVERY - 1]).toBe(true);
    // A probe that finds new fields again goes back to inserts first.
    policy.observe(10, 9);
    expect(policy.next()).toBe(true);
    expect(policy.next()).toBe(true);
  });
});

describe('materialization batches on a standalone Redis', () => {
  let redis: RedisServerProcess;
  const opened: OnlineStore[] = [];
  beforeAll(async () => {
    redis = await RedisServerProcess.start();
  });
  afterAll(async () => {
    for (const s of opened) await s.close();
    await redis.stop();
  });
  const open = (prefix = uniquePrefix()) => {
    const store = openStore(prefix, { redis: redis.url, cluster: undefined });
    opened.push(store);
    return store;
  };

  async function calls(store: OnlineStore): Promise<{ hsetnx: number; evalsha: number }> {
    const info = await store.client.info('commandstats');
    const count = (cmd: string) =>
      Number(new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
    return { hsetnx: count('hsetnx'), evalsha: count('evalsha') };
  }

  it('insert new fields, send the rest through the script, and go script-only when fields are set', async () => {
    const store = open();
    // Loaded beforehand, so no call is refused and sent again.
    await store.client.script('LOAD', WRITE_NEWEST_LUA);
    await store.client.config('RESETSTAT');
    const rows = (event: number, from: number, n: number, big = 1n): Row[] =>
      Array.from({ length: n }, (_, i) => ({ entity: from + i, event, created: null, values: withBig(big) }));
    const n = ROWS_PER_CALL + 10;
    const read = async () => {
      const res = await store.read(registry, { entities: { driver_id: [0, n - 1] }, features: ['v:big'] });
      return res.results[1]!.values;
    };
    // All new: inserts only.
    expect(await writeBatch(store, rows(5, 0, n))).toBe(n);
    expect(await calls(store)).toEqual({ hsetnx: n, evalsha: 0 });
    // All older: the inserts find every field set, the script keeps every stored row.
    expect(await writeBatch(store, rows(4, 0, n, 2n))).toBe(0);
    expect(await calls(store)).toEqual({ hsetnx: 2 * n, evalsha: 2 });
    expect(await read()).toEqual([1n, 1n]);
    // Newer: straight to the script now, which replaces every row.
    expect(await writeBatch(store, rows(6, 0, n, 3n))).toBe(n);
    expect(await calls(store)).toEqual({ hsetnx: 2 * n, evalsha: 4 });
    expect(await read()).toEqual([3n, 3n]);
    // Until a probe: half new, half newer, so inserts first again afterwards.
    for (let i = 0; i < PROBE_EVERY - 2; i++) await writeBatch(store, rows(7 + i, 0, 2));
    const before = await calls(store);
    expect(before.hsetnx).toBe(2 * n);
    expect(await writeBatch(store, [...rows(100, 0, 2), ...rows(100, n, 2)])).toBe(4);
    expect(await calls(store)).toEqual({ hsetnx: 2 * n + 4, evalsha: before.evalsha + 1 });
    expect(await writeBatch(store, rows(100, 2 * n, 3))).toBe(3);
    expect(await calls(store)).toEqual({ hsetnx: 2 * n + 7, evalsha: before.evalsha + 1 });
    await store.teardown();
  });

  it('newest wins whichever way each batch goes, duplicates within a batch and a racing writer too', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(rowArb, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.array(rowArb, { minLength: 1, maxLength: 6 }), { maxLength: 4 }),
        async (batches, pushes) => {
          const prefix = uniquePrefix();
          const materializer = open(prefix);
          const pusher = open(prefix);
          try {
            await Promise.all([
              (async () => {
                for (const b of batches) await writeBatch(materializer, b);
              })(),
              (async () => {
                for (const p of pushes) await pusher.write(encode(pusher, p));
              })(),
            ]);
            expect(await readRows(materializer)).toEqual(model([...batches.flat(), ...pushes.flat()]));
          } finally {
            await materializer.teardown();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** Feature values of the model's view: `big` (the last) as given, every other feature null. */
function withBig(big: bigint): unknown[] {
  const values: unknown[] = FEATURE_NAMES.map(() => null);
  values[FEATURE_NAMES.indexOf('big')] = big;
  return values;
}
