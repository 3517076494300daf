/**
 * kill -9 of a materialization of an aggregation view at random points, then a rerun: the online
 * state (every tile of every layer of every entity) equals a clean run's, so no event is counted
 * twice or lost whatever the kill interrupted. Every run materializes at the same wall clock, so
 * the states are comparable field for field.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize } from '../../src/materialize/materialize.ts';
import type { OnlineStore } from '../../src/online/online-store.ts';
import { openStore, uniquePrefix } from '../online/online-fixture.ts';
import { aggKillRegistry, killClock, writeAggKillData } from './aggregation-kill-fixture.ts';
import { dumpOnline, makeConfig, makeContext, tempDir } from './offline-fixture.ts';

const KILL_POINTS = Number(process.env.KILL_POINTS ?? 2);
const CHILD = path.join(import.meta.dirname, 'aggregation-materialize-child.ts');

const clock = killClock();
let dir: { dir: string; remove: () => Promise<void> };
const stores: OnlineStore[] = [];
let clean: { state: Map<string, Record<string, string>>; ms: number; base: string };

const stateOf = (store: OnlineStore) => dumpOnline(store, `${store.keys.base}:a1:*`);

/** A state with its keys made relative to the store's prefix. */
function relative(
  state: Map<string, Record<string, string>>,
  base: string,
): Map<string, Record<string, string>> {
  return new Map([...state].map(([k, v]) => [k.slice(base.length), v]));
}

beforeAll(async () => {
  dir = await tempDir();
  await writeAggKillData(path.join(dir.dir, 'offline'), clock.now);
  const store = openStore(uniquePrefix());
  stores.push(store);
  const t0 = Date.now();
  const [stats] = await materialize(
    { ...makeContext(makeConfig(dir.dir, 'unused'), aggKillRegistry, store), now: () => clock.now },
    { start: clock.start, end: clock.end },
  );
  expect(stats?.rows).toBe(300_000);
  const state = await stateOf(store);
  expect(state.size).toBe(20_000);
  // Push layers are in it: fields keyed by a push id.
  expect([...state.values()].some((h) => Object.keys(h).some((f) => f.includes(':push-')))).toBe(true);
  clean = { state: relative(state, store.keys.base), ms: Date.now() - t0, base: store.keys.base };
}, 120_000);

afterAll(async () => {
  for (const s of stores) {
    await s.teardown();
    await s.close();
  }
  await dir.remove();
});

function runChild(prefix: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD, JSON.stringify({ dir: dir.dir, prefix, ...clock })],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, done };
}

describe('killing a materialization of an aggregation view', () => {
  it('at random points, then rerunning, gives the clean run’s state', async () => {
    const prefix = uniquePrefix();
    const store = openStore(prefix);
    stores.push(store);
    let interrupted = 0;
    const lockKey = store.keys.lock('trip_aggs');
    // A kill may land after a fast run ended; such a run is one more complete run before the last,
    // and another kill is tried, until KILL_POINTS kills have landed mid-run.
    for (let attempt = 0; interrupted < KILL_POINTS && attempt < KILL_POINTS * 5; attempt++) {
      const { child, done } = runChild(prefix);
      let exited = false;
      void done.then(() => {
        exited = true;
      });
      // Start-up (tsx, DuckDB) takes an unknown while: the run has begun once it holds the lock.
      while (!exited && (await store.client.exists(lockKey)) === 0)
        await new Promise((r) => setTimeout(r, 5));
      await new Promise((r) => setTimeout(r, (Math.random() * clean.ms) / 2));
      child.kill('SIGKILL');
      if ((await done) === null) interrupted++;
    }
    // Kills landed mid-run, or the test proves nothing.
    expect(interrupted).toBe(KILL_POINTS);
    const { done } = runChild(prefix);
    expect(await done).toBe(0);
    expect(relative(await stateOf(store), store.keys.base)).toEqual(clean.state);
  }, 180_000);
});
