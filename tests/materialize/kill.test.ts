import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.ts';
import { readWatermark } from '../../src/materialize/watermarks.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { ON_CLUSTER, openStore, uniquePrefix } from '../online/online-fixture.ts';
import { KILL_END, KILL_START, killRegistry, writeKillData } from './kill-fixture.ts';
import { dumpOnline, makeConfig, makeContext, tempDir } from './offline-fixture.ts';

/**
 * kill -9 of a materialization of 1M rows (a quarter of that on a cluster) at random points, then
 * a rerun: the online state equals a clean run's, and after each kill the watermark is either unset or covers fully written data.
 * KILL_POINTS (default 2) sets how many kills precede the completing run. Reruns start at once: the
 * killed run's lock is taken over, not waited out.
 */
const KILL_POINTS = Number(process.env.KILL_POINTS ?? 2);
/**
 * Offline rows and drivers: 1M over 200k; a quarter of that on a cluster, where the suite runs a
 * second time and the same kill points are hit over fewer rows.
 */
const [ROWS, DRIVERS] = ON_CLUSTER ? [250_000, 50_000] : [1_000_000, 200_000];
// Far longer than any rerun here takes to start: only a takeover can give it the lock.
const LOCK_TTL_MS = 30_000;
const CHILD = path.join(import.meta.dirname, 'materialize-child.ts');

let dir: { dir: string; remove: () => Promise<void> };
const stores: OnlineStore[] = [];
/** The clean run: its store, online state, watermark and duration. */
let clean: {
  store: OnlineStore;
  state: Map<string, Record<string, string>>;
  watermark: bigint | undefined;
  ms: number;
};

beforeAll(async () => {
  dir = await tempDir();
  await writeKillData(path.join(dir.dir, 'offline'), ROWS, DRIVERS);
  const store = openStore(uniquePrefix());
  stores.push(store);
  const t0 = Date.now();
  const [stats] = await materialize(
    makeContext(makeConfig(dir.dir, 'unused', { batchSize: 20_000 }), killRegistry, store),
    {
      start: new Date(KILL_START),
      end: new Date(KILL_END),
    },
  );
  const ms = Date.now() - t0;
  expect(stats?.rows).toBeGreaterThan(DRIVERS * 0.75);
  clean = {
    store,
    state: await dumpOnline(store),
    watermark: await readWatermark(store, store.codec(killRegistry, 'big')),
    ms,
  };
});
afterAll(async () => {
  for (const s of stores) {
    await s.teardown();
    await s.close();
  }
  await dir.remove();
});

function runChild(prefix: string): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CHILD,
      JSON.stringify({ dir: dir.dir, prefix, start: KILL_START, end: KILL_END, lockTtlMs: LOCK_TTL_MS }),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, done };
}

describe('killing a materialization', () => {
  it('at random points, then rerunning, gives the clean run’s state', async () => {
    const codec = clean.store.codec(killRegistry, 'big');
    const prefix = uniquePrefix();
    const store = openStore(prefix);
    stores.push(store);
    for (let k = 0; k < KILL_POINTS; k++) {
      const { child, done } = runChild(prefix);
      // Child start-up (tsx, DuckDB) takes a few hundred ms; kill anywhere from then to past the end.
      const delay = 300 + Math.random() * (clean.ms + 600);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await done;
      const watermark = await readWatermark(store, codec);
      if (watermark !== undefined) {
        expect(watermark).toBe(clean.watermark);
        expect(await dumpOnline(store)).toEqual(rekey(clean.state, clean.store, store));
      }
    }
    const { done } = runChild(prefix);
    expect(await done).toBe(0);
    expect(await readWatermark(store, codec)).toBe(clean.watermark);
    expect(await dumpOnline(store)).toEqual(rekey(clean.state, clean.store, store));
  });

  it('while it holds the lock: a rerun at once takes the lock over within a second, says so, and gives the clean run’s state', async () => {
    const prefix = uniquePrefix();
    const store = openStore(prefix);
    stores.push(store);
    const lockKey = store.keys.lock('big');
    const { child, done } = runChild(prefix);
    const deadline = Date.now() + 30_000;
    while ((await store.client.exists(lockKey)) === 0) {
      if (Date.now() > deadline) throw new Error('the child never took the lock');
      await new Promise((r) => setTimeout(r, 20));
    }
    // Into its reading and writing, not only past the lock.
    await new Promise((r) => setTimeout(r, 300 + Math.random() * 300));
    child.kill('SIGKILL');
    await done;
    // The dead run's lock is still there, with most of its expiry to go.
    expect(await store.client.pttl(lockKey)).toBeGreaterThan(LOCK_TTL_MS / 2);

    const lines: { message: string; fields: Record<string, unknown>; at: number }[] = [];
    const ctx = {
      ...makeContext(makeConfig(dir.dir, prefix, { batchSize: 20_000 }), killRegistry, store),
      log: (message: string, fields: Record<string, unknown>) =>
        lines.push({ message, fields, at: Date.now() }),
    };
    const began = Date.now();
    const [stats] = await materialize(ctx, { start: new Date(KILL_START), end: new Date(KILL_END) });
    const takeover = lines.find((l) => /took over/.test(l.message));
    expect(takeover?.fields).toMatchObject({ view: 'big', pid: child.pid, host: os.hostname() });
    expect(takeover!.at - began).toBeLessThan(1000);
    expect(stats?.rows).toBeGreaterThan(DRIVERS * 0.75);
    expect(await readWatermark(store, store.codec(killRegistry, 'big'))).toBe(clean.watermark);
    expect(await dumpOnline(store)).toEqual(rekey(clean.state, clean.store, store));
    expect(await store.client.exists(lockKey)).toBe(0);
  });
});

/** The clean state with its keys moved under another store's prefix. */
function rekey(
  state: Map<string, Record<string, string>>,
  from: OnlineStore,
  to: OnlineStore,
): Map<string, Record<string, string>> {
  return new Map([...state].map(([k, v]) => [to.keys.base + k.slice(from.keys.base.length), v]));
}
