import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pushFolder } from '../../src/definitions/source-sql.ts';
import { ConflictError, NotFoundError, TroveError, UnavailableError } from '../../src/errors.ts';
import { materialize, materializeIncremental } from '../../src/materialize/materialize.ts';
import { readNewestEvents } from '../../src/materialize/newest-event.ts';
import { readWatermark } from '../../src/materialize/watermarks.ts';
import { historicalTable } from '../../src/offline/historical-output.ts';
import { partitionFolder, UNIQUE_KEYS_MARKER } from '../../src/offline/offline-layout.ts';
import { OnlineStore } from '../../src/online/online-store.ts';
import { pushRows } from '../../src/push/push-rows.ts';
import {
  makeRegistry,
  onlineConfig,
  openStore,
  PROJECT,
  REDIS_URL,
  uniquePrefix,
} from '../online/online-fixture.ts';
import { makeConfig, makeContext, tempDir, writeOfflineRows } from './offline-fixture.ts';

const registry = makeRegistry({
  views: [
    {
      name: 'stats',
      entities: ['driver'],
      source: 'src',
      features: [
        { name: 'rate', type: 'float64' },
        { name: 'trips', type: 'int64' },
        { name: 'tags', type: 'list<string>' },
      ],
    },
    {
      name: 'offline_only',
      entities: ['driver'],
      source: 'src',
      online: false,
      features: [{ name: 'x', type: 'int32' }],
    },
  ],
  sources: [
    { kind: 'push', name: 'src', timestampField: 'event_timestamp', createdTimestampField: 'created' },
  ],
});

const day = (d: number, h = 0) => new Date(Date.UTC(2024, 0, d, h));
const ts = (d: number, h = 0) =>
  `TIMESTAMPTZ '2024-01-${String(d).padStart(2, '0')} ${String(h).padStart(2, '0')}:00:00+00'`;

/** A stats row: driver, event day/hour, created hour (or null), trips. */
function row(driver: number, d: number, h: number, created: number | null, trips: bigint): string {
  const cr = created === null ? 'NULL::TIMESTAMPTZ' : ts(d, created);
  return `SELECT ${driver}::BIGINT AS driver_id, ${ts(d, h)} AS event_timestamp, ${cr} AS created_timestamp,
    ${Number(trips) / 10}::DOUBLE AS rate, ${trips}::BIGINT AS trips, ['t${trips}', NULL]::VARCHAR[] AS tags`;
}

let dir: { dir: string; remove: () => Promise<void> };
let prefix: string;
let store: OnlineStore;

beforeEach(async () => {
  dir = await tempDir();
  prefix = uniquePrefix();
  store = openStore(prefix);
});
afterEach(async () => {
  await store.teardown();
  await store.close();
  await dir.remove();
});

async function trips(ids: (number | bigint)[]): Promise<unknown[]> {
  const res = await store.read(
    registry,
    { entities: { driver_id: ids }, features: ['stats:trips'] },
    day(2, 12).getTime(),
  );
  return res.results[1]!.values;
}

describe('materialize', () => {
  it('skips the newest-row pass only over one partition marked free of repeated keys, and stays newest-wins', async () => {
    const config = makeConfig(dir.dir, prefix);
    await writeOfflineRows(
      config.offlineStorePath,
      'stats',
      [row(1, 1, 1, null, 10n), row(1, 1, 5, null, 15n), row(2, 1, 2, null, 20n)].join(' UNION ALL '),
    );
    // A marker that wrongly vouches for day 1: the newest row must still win, the write script
    // deciding where the query no longer does; only the rows sent show the pass was skipped.
    await writeFile(
      path.join(partitionFolder(config.offlineStorePath, 'stats', '2024-01-01'), UNIQUE_KEYS_MARKER),
      '',
    );
    const ctx = makeContext(config, registry, store);
    const [oneDay] = await materialize(ctx, { start: day(1, 0), end: day(1, 23) });
    expect(oneDay).toMatchObject({ rows: 3 });
    expect(await trips([1, 2])).toEqual([15n, 20n]);
    // Two partitions: keys may repeat across them, so the pass runs whatever the markers say.
    await writeOfflineRows(config.offlineStorePath, 'stats', row(1, 2, 1, null, 11n));
    await writeFile(
      path.join(partitionFolder(config.offlineStorePath, 'stats', '2024-01-02'), UNIQUE_KEYS_MARKER),
      '',
    );
    const [twoDays] = await materialize(ctx, { start: day(1, 0), end: day(2, 23) });
    expect(twoDays).toMatchObject({ rows: 2 });
    expect(await trips([1, 2])).toEqual([11n, 20n]);
  });

  it('loads the newest row per entity within [start, end] and skips offline-only views', async () => {
    const config = makeConfig(dir.dir, prefix);
    await writeOfflineRows(
      config.offlineStorePath,
      'stats',
      [
        row(1, 1, 1, null, 10n),
        row(1, 1, 5, 1, 9_007_199_254_740_993n),
        row(1, 1, 5, null, 12n), // same event time, null created ranks lower
        row(2, 1, 2, null, 20n),
        row(2, 2, 3, null, 21n), // after end
        row(3, 1, 0, null, 30n), // at start: inclusive
      ].join(' UNION ALL '),
    );
    const ctx = makeContext(config, registry, store);
    const [result, ...rest] = await materialize(ctx, { start: day(1, 0), end: day(1, 23) });
    expect(rest).toEqual([]);
    expect(result).toMatchObject({ view: 'stats', rows: 3, written: 3 });
    expect(await trips([1, 2, 3, 4])).toEqual([9_007_199_254_740_993n, 20n, 30n, null]);
    const res = await store.read(
      registry,
      { entities: { driver_id: [1] }, features: ['stats:*'] },
      day(2).getTime(),
    );
    expect(res.results.map((c) => c.values[0])).toEqual([
      1n,
      Number(9_007_199_254_740_993n) / 10,
      9_007_199_254_740_993n,
      ['t9007199254740993', null],
    ]);
    expect(await readWatermark(store, store.codec(registry, 'stats'))).toBe(
      BigInt(day(1, 23).getTime()) * 1000n,
    );
    // Freshness counts from the newest event written, not from the end of the range.
    expect(await readNewestEvents(store, registry)).toEqual({ stats: day(1, 5) });
    await expect(materialize(ctx, { start: day(1), end: day(2), views: ['nope'] })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('continues incrementally from the watermark and re-reads the late-arrival window', async () => {
    const config = makeConfig(dir.dir, prefix, { lateArrival: '2h' });
    const ctx = makeContext(config, registry, store);
    await writeOfflineRows(
      config.offlineStorePath,
      'stats',
      [row(1, 1, 1, null, 10n), row(2, 1, 2, null, 20n)].join(' UNION ALL '),
      'a',
    );
    const first = await materializeIncremental(ctx, { end: day(1, 10) });
    expect(first[0]).toMatchObject({ start: null, rows: 2 });
    // Late rows: one within two hours of the watermark, one before that window.
    await writeOfflineRows(
      config.offlineStorePath,
      'stats',
      [row(1, 1, 9, null, 11n), row(2, 1, 7, null, 22n)].join(' UNION ALL '),
      'b',
    );
    const second = await materializeIncremental(ctx, { end: day(1, 12) });
    expect(second[0]).toMatchObject({
      start: day(1, 8).toISOString(),
      rows: 1,
      watermark: day(1, 12).toISOString(),
    });
    expect(await trips([1, 2])).toEqual([11n, 20n]);
  });

  it('never lets an older row replace a newer one, whatever the run order', async () => {
    const config = makeConfig(dir.dir, prefix);
    const ctx = makeContext(config, registry, store);
    await writeOfflineRows(
      config.offlineStorePath,
      'stats',
      [row(1, 1, 1, null, 10n), row(1, 2, 1, null, 11n)].join(' UNION ALL '),
    );
    await materialize(ctx, { start: day(2), end: day(3) });
    await materialize(ctx, { start: day(1), end: day(1, 23) });
    expect(await trips([1])).toEqual([11n]);
  });

  it('refuses a second materializer of the same view; a dead holder’s lock lapses', async () => {
    const config = makeConfig(dir.dir, prefix);
    const ctx = makeContext(config, registry, store);
    await store.client.set(store.keys.lock('stats'), 'someone-else', 'PX', 400);
    await expect(materialize(ctx, { start: day(1), end: day(2) })).rejects.toBeInstanceOf(ConflictError);
    await new Promise((r) => setTimeout(r, 500));
    await expect(materialize(ctx, { start: day(1), end: day(2) })).resolves.toHaveLength(1);
    expect(await store.client.exists(store.keys.lock('stats'))).toBe(0);
  });

  it('takes view locks in one order: two runs naming the views in opposite orders are not both refused', async () => {
    const two = makeRegistry({
      views: ['a', 'b'].map((name) => ({
        name,
        entities: ['driver'],
        source: 'src',
        features: [{ name: 'trips', type: 'int64' }],
      })),
      sources: [{ kind: 'push', name: 'src', timestampField: 'event_timestamp' }],
    });
    const config = makeConfig(dir.dir, prefix);
    const ctx = makeContext(config, two, store);
    for (let round = 0; round < 5; round++) {
      const runs = await Promise.allSettled([
        materialize(ctx, { start: day(1), end: day(2), views: ['a', 'b'] }),
        materialize(ctx, { start: day(1), end: day(2), views: ['b', 'a'] }),
      ]);
      const refused = runs.filter((r) => r.status === 'rejected');
      for (const r of refused) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
      expect(refused.length).toBeLessThan(2);
    }
    // A view named twice is materialized once, under one lock.
    await expect(materialize(ctx, { start: day(1), end: day(2), views: ['a', 'a'] })).resolves.toHaveLength(
      1,
    );
  });

  it('fails clearly when Redis refuses writes, keeps the watermark, and completes on the next run', async () => {
    const config = makeConfig(dir.dir, prefix);
    await writeOfflineRows(
      config.offlineStorePath,
      'stats',
      `SELECT i::BIGINT AS driver_id, ${ts(1, 1)} AS event_timestamp, NULL::TIMESTAMPTZ AS created_timestamp,
        i::DOUBLE AS rate, i::BIGINT AS trips, NULL::VARCHAR[] AS tags FROM range(5000) t(i)`,
    );
    // A user that may take locks and move watermarks but may only read values.
    const user = `trove-test-${prefix.slice(-8)}`;
    const admin = new Redis(REDIS_URL);
    const base = `${prefix}:${PROJECT}`;
    await admin.call(
      'ACL',
      'SETUSER',
      user,
      'on',
      '>pw',
      `~${base}:lock:*`,
      `~${base}:wm:*`,
      `%R~${base}:o1:*`,
      '+@all',
    );
    const url = new URL(REDIS_URL);
    url.username = user;
    url.password = 'pw';
    const readOnly = new OnlineStore(onlineConfig(prefix, { redis: url.toString() }), PROJECT);
    try {
      const err = await materialize(makeContext(config, registry, readOnly), {
        start: day(1),
        end: day(2),
      }).catch((e) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(String(err.message)).toMatch(/online write failed: NOPERM/);
      expect(await readWatermark(store, store.codec(registry, 'stats'))).toBeUndefined();
      expect(await store.client.exists(store.keys.lock('stats'))).toBe(0);
    } finally {
      await readOnly.close();
      await admin.call('ACL', 'DELUSER', user);
      await admin.quit();
    }
    const [done] = await materialize(makeContext(config, registry, store), { start: day(1), end: day(2) });
    expect(done).toMatchObject({ rows: 5000 });
    expect(await readWatermark(store, store.codec(registry, 'stats'))).toBe(BigInt(day(2).getTime()) * 1000n);
  });

  it('fails fast with UnavailableError when Redis is down', async () => {
    const config = makeConfig(dir.dir, prefix);
    const down = openStore(prefix, {
      redis: 'redis://127.0.0.1:1',
      connectTimeoutMs: 300,
      commandTimeoutMs: 300,
    });
    const t = Date.now();
    await expect(
      materialize(makeContext(config, registry, down), { start: day(1), end: day(2) }),
    ).rejects.toBeInstanceOf(UnavailableError);
    expect(Date.now() - t).toBeLessThan(3000);
    await down.close();
  });
});

describe('push', () => {
  const df = {
    driver_id: [1, '9007199254740993'],
    event_timestamp: ['2024-01-01T01:00:00', new Date(Date.UTC(2024, 0, 1, 2))],
    created: [null, null],
    rate: [0.5, 1.5],
    trips: [5, 9_007_199_254_740_993n],
    tags: [['a'], null],
    x: [1, 2],
  };

  it('writes online under the newest-wins rule and offline as a new Parquet file', async () => {
    const config = makeConfig(dir.dir, prefix);
    const result = await pushRows(registry, () => store, config, {
      pushSourceName: 'src',
      df,
      to: 'online_and_offline',
    });
    expect(result.online).toEqual({ stats: 2 });
    expect(await readNewestEvents(store, registry)).toEqual({ stats: new Date(Date.UTC(2024, 0, 1, 2)) });
    expect(await trips([1, 9_007_199_254_740_993n])).toEqual([5n, 9_007_199_254_740_993n]);
    const files = await readdir(pushFolder(config.offlineStorePath, 'src'));
    expect(files.filter((f) => f.endsWith('.parquet'))).toHaveLength(1);
    expect(files.filter((f) => !f.endsWith('.parquet'))).toEqual([]);
    // Training datasets see offline pushes at once, with no compute in between.
    expect(result.offline).toEqual({ stats: 2, offline_only: 2 });
    const training = await historicalTable(config, registry, {
      entities: [
        { driver_id: 1n, event_timestamp: new Date(Date.UTC(2024, 0, 1, 3)) },
        { driver_id: 9_007_199_254_740_993n, event_timestamp: new Date(Date.UTC(2024, 0, 1, 1)) },
        { driver_id: 1n, event_timestamp: new Date(Date.UTC(2024, 0, 1, 0)) },
      ],
      features: ['stats:trips', 'offline_only:x'],
    });
    expect([...(training.getChild('trips') ?? [])]).toEqual([5n, null, null]);
    expect([...(training.getChild('x') ?? [])]).toEqual([1, null, null]);
    // An older row pushed later does not replace the newer one.
    await pushRows(registry, () => store, config, {
      pushSourceName: 'src',
      df: { ...df, event_timestamp: ['2023-12-31T00:00:00Z', '2023-12-31T00:00:00Z'], trips: [1, 1] },
      to: 'online',
    });
    expect(await trips([1])).toEqual([5n]);
  });

  it('validates every row before writing anything', async () => {
    const config = makeConfig(dir.dir, prefix);
    const bad = { ...df, trips: [5, 'many'] };
    await expect(
      pushRows(registry, () => store, config, {
        pushSourceName: 'src',
        df: bad,
        to: 'online_and_offline',
      }),
    ).rejects.toThrow(/column trips, row 1: expected int64/);
    expect(await trips([1])).toEqual([null]);
    await expect(readdir(pushFolder(config.offlineStorePath, 'src'))).rejects.toThrow();
    const { x: _x, ...missing } = df;
    await expect(
      pushRows(registry, () => store, config, {
        pushSourceName: 'src',
        df: missing,
        to: 'online',
      }),
    ).rejects.toThrow(/lacks column x/);
    await expect(
      pushRows(registry, () => store, config, { pushSourceName: 'nope', df, to: 'online' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      pushRows(registry, () => store, config, {
        pushSourceName: 'src',
        df: { ...df, rate: [1] },
        to: 'online',
      }),
    ).rejects.toBeInstanceOf(TroveError);
  });
});
