import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.ts';
import { readWatermark } from '../../src/materialize/watermarks.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { openStore, uniquePrefix } from '../online/online-fixture.ts';
import { KILL_END, KILL_START, killRegistry, writeKillData } from './kill-fixture.ts';
import { dumpOnline, makeConfig, makeContext, tempDir } from './offline-fixture.ts';

/**
 * kill -9 of a materialization of 1M rows at random points, then a rerun: the online state equals a
 * clean run's, and after each kill the watermark is either unset or covers fully written data.
 * KILL_POINTS (default 2) sets how many kills precede the completing run.
 */
const KILL_POINTS = Number(process.env.KILL_POINTS ?? 2);
const LOCK_TTL_MS = 1000;
const CHILD = path.join(import.meta.dirname, 'materialize-child.ts');

let dir: { dir: string; remove: () => Promise<void> };
const stores: OnlineStore[] = [];

beforeAll(async () => {
  dir = await tempDir();
  await writeKillData(path.join(dir.dir, 'offline'));
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
    const clean = openStore(uniquePrefix());
    stores.push(clean);
    const config = makeConfig(dir.dir, 'unused', { batchSize: 20_000 });
    const t0 = Date.now();
    const [stats] = await materialize(makeContext(config, killRegistry, clean), {
      start: new Date(KILL_START),
      end: new Date(KILL_END),
    });
    const cleanMs = Date.now() - t0;
    expect(stats?.rows).toBeGreaterThan(150_000);
    const expected = await dumpOnline(clean);
    const codec = clean.codec(killRegistry, 'big');
    const expectedWatermark = await readWatermark(clean, codec);

    const prefix = uniquePrefix();
    const store = openStore(prefix);
    stores.push(store);
    for (let k = 0; k < KILL_POINTS; k++) {
      const { child, done } = runChild(prefix);
      // Child start-up (tsx, DuckDB) takes a few hundred ms; kill anywhere from then to past the end.
      const delay = 300 + Math.random() * (cleanMs + 600);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await done;
      const watermark = await readWatermark(store, codec);
      if (watermark !== undefined) {
        expect(watermark).toBe(expectedWatermark);
        expect(await dumpOnline(store)).toEqual(rekey(expected, clean, store));
      }
      // The dead child's lock lapses on its own.
      await new Promise((r) => setTimeout(r, LOCK_TTL_MS + 100));
    }
    const { done } = runChild(prefix);
    expect(await done).toBe(0);
    expect(await readWatermark(store, codec)).toBe(expectedWatermark);
    expect(await dumpOnline(store)).toEqual(rekey(expected, clean, store));
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
