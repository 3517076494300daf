import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError } from '../../src/errors.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { countWrites, makeRegistry, openStore, writeRows } from './online-fixture.ts';

const ALL_TYPES = [
  { name: 'i32', type: 'int32' },
  { name: 'i64', type: 'int64' },
  { name: 'f32', type: 'float32' },
  { name: 'f64', type: 'float64' },
  { name: 's', type: 'string' },
  { name: 'b', type: 'bool' },
  { name: 'by', type: 'bytes' },
  { name: 'ts', type: 'timestamp' },
  { name: 'li64', type: 'list<int64>' },
  { name: 'ls', type: 'list<string>' },
  { name: 'lts', type: 'list<timestamp>' },
  { name: 'lf64', type: 'list<float64>' },
] as const;

const registry = makeRegistry({
  views: [
    { name: 'typed', entities: ['driver'], source: 'src', features: [...ALL_TYPES] },
    {
      name: 'stats',
      entities: ['driver'],
      source: 'src',
      ttl: 3600,
      features: [{ name: 'rate', type: 'float64' }],
    },
    {
      name: 'cust',
      entities: ['customer'],
      source: 'src',
      features: [{ name: 'balance', type: 'int64' }],
    },
    {
      name: 'both',
      entities: ['driver', 'customer'],
      source: 'src',
      features: [{ name: 'n', type: 'int32' }],
    },
  ],
  services: [{ name: 'svc', features: ['stats', 'cust:balance'] }],
});

const T0 = 1_700_000_000_000_000n; // µs
const NOW_MS = Number(T0 / 1000n) + 1000;

let store: OnlineStore | undefined;
afterEach(async () => {
  if (store) {
    await store.teardown();
    await store.close();
  }
  store = undefined;
});

describe('online reads', () => {
  it('round-trips every type exactly, nulls included', async () => {
    store = openStore();
    const big = 2n ** 62n + 12345n;
    const values = [
      -2147483648,
      big,
      Math.fround(2.71),
      0.1 + 0.2,
      'héllo {world} & = %',
      false,
      new Uint8Array([0, 255, 1, 128]),
      T0 + 123n,
      [big, null, -big],
      ['a', null, ''],
      [T0, null],
      [Number.MAX_VALUE, -0, Number.MIN_VALUE],
    ];
    await writeRows(store, registry, 'typed', [
      { key: [big], event: T0, values },
      { key: [7n], event: T0, values: values.map(() => null) },
    ]);
    const res = await store.read(
      registry,
      { entities: { driver_id: [big, 7, 8] }, features: ['typed:*'] },
      NOW_MS,
    );
    expect(res.metadata.feature_names).toEqual(['driver_id', ...ALL_TYPES.map((f) => f.name)]);
    expect(res.results[0]!.values).toEqual([big, 7n, 8n]);
    const row0 = res.results.slice(1).map((c) => c.values[0]);
    expect(row0).toEqual([
      -2147483648,
      big,
      Math.fround(2.71),
      0.1 + 0.2,
      'héllo {world} & = %',
      false,
      new Uint8Array([0, 255, 1, 128]),
      new Date(Number(T0 / 1000n)),
      [big, null, -big],
      ['a', null, ''],
      [new Date(Number(T0 / 1000n)), null],
      [Number.MAX_VALUE, -0, Number.MIN_VALUE],
    ]);
    for (const c of res.results.slice(1)) {
      expect(c.statuses).toEqual(['PRESENT', 'NULL_VALUE', 'NOT_FOUND']);
      expect(c.values[1]).toBeNull();
      expect(c.values[2]).toBeNull();
      expect(c.event_timestamps[0]).toBe('2023-11-14T22:13:20Z');
      expect(c.event_timestamps[2]).toBe('1970-01-01T00:00:00Z');
    }
  });

  it('applies the ttl at read time: valid while read_time - ttl <= event_ts', async () => {
    store = openStore();
    await writeRows(store, registry, 'stats', [
      { key: [1n], event: T0, values: [0.5] },
      { key: [2n], event: T0 - 1n, values: [0.7] },
    ]);
    const atEdge = Number(T0 / 1000n) + 3_600_000;
    const res = await store.read(
      registry,
      { entities: { driver_id: [1, 2] }, features: ['stats:rate'] },
      atEdge,
    );
    expect(res.results[1]!.statuses).toEqual(['PRESENT', 'OUTSIDE_MAX_AGE']);
    expect(res.results[1]!.values).toEqual([0.5, null]);
    expect(res.results[1]!.event_timestamps[1]).toBe('2023-11-14T22:13:19.999999Z');
  });

  it('serves services and several entities in one round trip', async () => {
    store = openStore();
    await writeRows(store, registry, 'stats', [{ key: [1n], event: T0, values: [0.5] }]);
    await writeRows(store, registry, 'cust', [{ key: ['c1'], event: T0, values: [10n ** 18n] }]);
    await writeRows(store, registry, 'both', [{ key: [1n, 'c1'], event: T0, values: [3] }]);
    const writes = await countWrites(store);
    const res = await store.read(
      registry,
      {
        entities: { driver_id: [1, 2], customer_id: ['c1', 'c2'] },
        features: ['stats:rate', 'cust:balance', 'both:n'],
      },
      NOW_MS,
    );
    // Four HMGETs (two entities × two key sets) left in one write, one per node in a cluster.
    const counts = writes.stop();
    expect(Math.max(...counts)).toBe(1);
    expect(counts.reduce((a, b) => a + b)).toBeLessThanOrEqual(4);
    expect(res.metadata.feature_names).toEqual(['driver_id', 'customer_id', 'rate', 'balance', 'n']);
    expect(res.results[2]!.values).toEqual([0.5, null]);
    expect(res.results[3]!.values).toEqual([10n ** 18n, null]);
    expect(res.results[4]!.values).toEqual([3, null]);
    const viaService = await store.read(
      registry,
      { entities: { driver_id: [1], customer_id: ['c1'] }, service: 'svc', fullFeatureNames: true },
      NOW_MS,
    );
    expect(viaService.metadata.feature_names).toEqual([
      'driver_id',
      'customer_id',
      'stats__rate',
      'cust__balance',
    ]);
  });

  it('rejects unknown views and features with NotFoundError', async () => {
    store = openStore();
    const e = { entities: { driver_id: [1] } };
    await expect(store.read(registry, { ...e, features: ['nope:x'] })).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.read(registry, { ...e, features: ['stats:nope'] })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(store.read(registry, { ...e, service: 'nope' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports an undecodable value as INVALID for that key only', async () => {
    store = openStore();
    await writeRows(store, registry, 'stats', [
      { key: [1n], event: T0, values: [0.5] },
      { key: [2n], event: T0, values: [0.6] },
      { key: [3n], event: T0, values: [0.7] },
    ]);
    const codec = store.codec(registry, 'stats');
    await store.client.hset(store.keys.entity(codec.entityKeys.text([2n])), codec.field, 'garbage');
    const good = (await store.client.hgetBuffer(
      store.keys.entity(codec.entityKeys.text([3n])),
      codec.field,
    ))!;
    await store.client.hset(
      store.keys.entity(codec.entityKeys.text([3n])),
      codec.field,
      good.subarray(0, good.length - 3),
    );
    const res = await store.read(
      registry,
      { entities: { driver_id: [1, 2, 3] }, features: ['stats:rate'] },
      NOW_MS,
    );
    expect(res.results[1]!.statuses).toEqual(['PRESENT', 'INVALID', 'INVALID']);
    expect(res.results[1]!.values).toEqual([0.5, null, null]);
  });

  it('makes old values unreadable when a feature type changes, and reclaims them', async () => {
    store = openStore();
    await writeRows(store, registry, 'stats', [{ key: [1n], event: T0, values: [0.5] }]);
    const changed = makeRegistry({
      views: [
        {
          name: 'stats',
          entities: ['driver'],
          source: 'src',
          ttl: 3600,
          features: [{ name: 'rate', type: 'string' }],
        },
      ],
    });
    const res = await store.read(changed, { entities: { driver_id: [1] }, features: ['stats:rate'] }, NOW_MS);
    expect(res.results[1]!.statuses).toEqual(['NOT_FOUND']);
    const deleted = makeRegistry({
      views: [
        { name: 'other', entities: ['driver'], source: 'src', features: [{ name: 'x', type: 'int32' }] },
      ],
    });
    await expect(
      store.read(deleted, { entities: { driver_id: [1] }, features: ['stats:rate'] }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.reclaimStaleFields(changed)).toBe(1);
    expect(await store.client.keys(`${store.keys.base}:*`)).toEqual([]);
  });

  it('fails fast with UnavailableError when Redis does not answer', async () => {
    store = undefined;
    const down = openStore(undefined, {
      redis: 'redis://127.0.0.1:1',
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
    });
    const t = Date.now();
    await expect(
      down.read(registry, { entities: { driver_id: [1] }, features: ['stats:rate'] }),
    ).rejects.toBeInstanceOf(UnavailableError);
    await expect(down.ping()).rejects.toBeInstanceOf(UnavailableError);
    await expect(
      writeRows(down, registry, 'stats', [{ key: [1n], event: T0, values: [1] }]),
    ).rejects.toBeInstanceOf(UnavailableError);
    expect(Date.now() - t).toBeLessThan(3000);
    await down.close();
  });
});
