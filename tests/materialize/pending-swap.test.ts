/**
 * A compute killed in the middle of its partition swap leaves some dates new and some old; a
 * materialization must finish the swap before it reads, or it would load a mix of two computes.
 */
import { mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.ts';
import { viewFolder } from '../../src/offline/offline-layout.ts';
import { commitSwap, hasPendingSwap, newSwapId, stagingFolder } from '../../src/offline/partition-swap.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { makeRegistry, openStore, uniquePrefix } from '../online/online-fixture.ts';
import { makeConfig, makeContext, tempDir, writeOfflineRows } from './offline-fixture.ts';

const registry = makeRegistry({
  views: [
    { name: 'stats', entities: ['driver'], source: 'src', features: [{ name: 'trips', type: 'int64' }] },
  ],
});

/** Driver `driver`'s row on 2024-01-`d` at noon with `trips`, in the view's canonical columns. */
const row = (driver: number, d: number, trips: number) =>
  `SELECT ${driver}::BIGINT AS driver_id, TIMESTAMPTZ '2024-01-0${d} 12:00:00+00' AS event_timestamp,
     NULL::TIMESTAMPTZ AS created_timestamp, ${trips}::BIGINT AS trips`;

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

describe('materialize after an interrupted offline swap', () => {
  it('finishes the swap first, so every date comes from the new compute', async () => {
    const config = makeConfig(dir.dir, prefix);
    const offline = config.offlineStorePath;
    // The old compute: driver 1 on Jan 1, driver 2 on Jan 2.
    await writeOfflineRows(offline, 'stats', [row(1, 1, 1), row(2, 2, 2)].join(' UNION ALL '));
    // The new compute's partitions, staged as a compute stages them.
    const scratch = path.join(dir.dir, 'next');
    await writeOfflineRows(scratch, 'stats', [row(1, 1, 10), row(2, 2, 20)].join(' UNION ALL '));
    const id = newSwapId();
    const staging = stagingFolder(offline, 'stats', id);
    await mkdir(staging, { recursive: true });
    for (const date of ['2024-01-01', '2024-01-02'])
      await rename(
        path.join(viewFolder(scratch, 'stats'), `date=${date}`),
        path.join(staging, `date=${date}`),
      );
    // Killed right after the first date moved in: Jan 1 is new, Jan 2 still old.
    const plan = {
      id,
      dates: [
        { date: '2024-01-01', staged: true },
        { date: '2024-01-02', staged: true },
      ],
    };
    await expect(
      commitSwap(offline, 'stats', plan, (step) => {
        if (step === 'partition-swapped') throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(await hasPendingSwap(offline, 'stats')).toBe(true);

    const logged: string[] = [];
    const ctx = { ...makeContext(config, registry, store), log: (message: string) => logged.push(message) };
    const [result] = await materialize(ctx, {
      start: new Date('2024-01-01T00:00:00Z'),
      end: new Date('2024-01-03T00:00:00Z'),
    });
    expect(result).toMatchObject({ view: 'stats', rows: 2 });
    expect(logged).toContain('finished an interrupted offline swap before reading');
    const answer = await store.read(
      registry,
      { entities: { driver_id: [1, 2] }, features: ['stats:trips'] },
      Date.parse('2024-01-03T00:00:00Z'),
    );
    expect(answer.results[1]!.values).toEqual([10n, 20n]);
    expect(await hasPendingSwap(offline, 'stats')).toBe(false);
    expect((await readdir(viewFolder(offline, 'stats'))).sort()).toEqual([
      '_retained',
      'date=2024-01-01',
      'date=2024-01-02',
    ]);
  });

  it('leaves a view without a pending swap alone', async () => {
    const config = makeConfig(dir.dir, prefix);
    await writeOfflineRows(config.offlineStorePath, 'stats', row(1, 1, 1));
    const logged: string[] = [];
    const ctx = { ...makeContext(config, registry, store), log: (message: string) => logged.push(message) };
    await materialize(ctx, {
      start: new Date('2024-01-01T00:00:00Z'),
      end: new Date('2024-01-02T00:00:00Z'),
    });
    expect(logged).not.toContain('finished an interrupted offline swap before reading');
    expect(await readdir(viewFolder(config.offlineStorePath, 'stats'))).toEqual(['date=2024-01-01']);
  });
});
