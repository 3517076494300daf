import { copyFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materialize } from '../../../src/materialize/materialize.ts';
import type { ShardProgressEnd } from '../../../src/materialize/progress.ts';
import { readWatermark } from '../../../src/materialize/watermarks.ts';
import type { OnlineStore } from '../../../src/online/online-store.ts';
import { type WorkerProcess, WorkerProcesses } from '../../helpers/worker-process.ts';
import { onlineConfig, openStore, uniquePrefix } from '../../online/online-fixture.ts';
import { KILL_END, KILL_START, killRegistry, writeKillData } from '../kill-fixture.ts';
import { dumpOnline, makeConfig, makeContext, tempDir } from '../offline-fixture.ts';

/**
 * Distributed materialization against real worker processes: the result equals a single-process
 * run (online state and watermark), a worker killed with SIGKILL mid-shard loses nothing, a shard
 * failing for a while is retried, and a shard failing for good leaves the watermark where it was.
 * 400k rows over 100k drivers across 7 partition days, so an entity's rows span several shards.
 */
const ROWS = 400_000;
const DRIVERS = 100_000;
/** A killed worker's shard goes back on the queue within this (plus half of it for the check). */
const HOLD_MS = 2000;
const CHILD = path.join(import.meta.dirname, 'shard-worker-child.ts');

let dir: { dir: string; remove: () => Promise<void> };
const stores: OnlineStore[] = [];
const workers = new WorkerProcesses(CHILD);
let clean: { store: OnlineStore; state: Map<string, Record<string, string>>; watermark: bigint | undefined };

function rekey(
  state: Map<string, Record<string, string>>,
  from: OnlineStore,
  to: OnlineStore,
): Map<string, Record<string, string>> {
  return new Map([...state].map(([k, v]) => [to.keys.base + k.slice(from.keys.base.length), v]));
}

function context(prefix: string, store: OnlineStore, slices: number, shards?: ShardProgressEnd[]) {
  const base = makeContext(makeConfig(dir.dir, prefix, { batchSize: 20_000 }), killRegistry, store);
  const rows: number[] = [];
  return {
    ctx: {
      ...base,
      config: { ...base.config, onlineStore: onlineConfig(prefix) },
      distributed: { slices },
      progress: {
        start() {},
        advance(n: number) {
          rows.push(n);
        },
        shard(fields: ShardProgressEnd) {
          shards?.push(fields);
        },
        finish() {},
      },
    },
    advanced: () => rows.reduce((a, b) => a + b, 0),
  };
}

function freshStore(): { prefix: string; store: OnlineStore } {
  const prefix = uniquePrefix();
  const store = openStore(prefix);
  stores.push(store);
  return { prefix, store };
}

beforeAll(async () => {
  dir = await tempDir();
  await writeKillData(path.join(dir.dir, 'offline'), ROWS, DRIVERS);
  const { prefix, store } = freshStore();
  await materialize(makeContext(makeConfig(dir.dir, prefix, { batchSize: 20_000 }), killRegistry, store), {
    start: new Date(KILL_START),
    end: new Date(KILL_END),
  });
  clean = {
    store,
    state: await dumpOnline(store),
    watermark: await readWatermark(store, store.codec(killRegistry, 'big')),
  };
  expect(clean.state.size).toBeGreaterThan(DRIVERS * 0.9);
}, 120_000);

/** A worker process on this suite's queue; it prints `ready` once it takes shards. */
function startWorker(prefix: string): WorkerProcess {
  return workers.start({ dir: dir.dir, prefix, holdMs: HOLD_MS });
}

afterAll(async () => {
  workers.killAll();
  for (const s of stores) {
    await s.teardown();
    await s.close();
  }
  await dir.remove();
});

describe('distributed materialization', () => {
  it('with two workers equals a single-process run: same online state and watermark; progress per shard and in total', async () => {
    const { prefix, store } = freshStore();
    const running = [startWorker(prefix), startWorker(prefix)];
    await Promise.all(running.map((w) => w.ready));
    const shards: ShardProgressEnd[] = [];
    const { ctx, advanced } = context(prefix, store, 3, shards);
    const [stats] = await materialize(ctx, { start: new Date(KILL_START), end: new Date(KILL_END) });
    await Promise.all(running.map((w) => workers.stop(w)));

    expect(await readWatermark(store, store.codec(killRegistry, 'big'))).toBe(clean.watermark);
    expect(await dumpOnline(store)).toEqual(rekey(clean.state, clean.store, store));
    expect(stats?.watermark).toBe(new Date(Number(clean.watermark! / 1000n)).toISOString());
    // 8 partition days (the range's last day included) × 3 slices, each reported once.
    const days = (await readdir(path.join(dir.dir, 'offline', 'views', 'big'))).filter((d) =>
      d.startsWith('date='),
    ).length;
    expect(shards).toHaveLength(days * 3);
    expect(new Set(shards.map((s) => s.index)).size).toBe(days * 3);
    expect(shards.reduce((n, s) => n + s.rows, 0)).toBe(stats?.rows);
    expect(advanced()).toBe(stats?.rows);
    // Both workers took shards.
    for (const w of running) expect(w.lines.some((l) => l.startsWith('take '))).toBe(true);
  }, 120_000);

  it('loses nothing when a worker is killed with SIGKILL mid-shard: its shard is taken again', async () => {
    const { prefix, store } = freshStore();
    const victim = startWorker(prefix);
    const other = startWorker(prefix);
    await Promise.all([victim.ready, other.ready]);
    const { ctx } = context(prefix, store, 2);
    const run = materialize(ctx, { start: new Date(KILL_START), end: new Date(KILL_END) });
    // Kill the victim while it works a shard: after it took one and before it ends it.
    const deadline = Date.now() + 60_000;
    let killedShard: string | undefined;
    while (!killedShard) {
      if (Date.now() > deadline) throw new Error('the worker never took a shard');
      const taken = victim.lines.filter((l) => l.startsWith('take '));
      const finished = victim.lines.filter((l) => l.startsWith('done ')).length;
      if (taken.length > finished) {
        await new Promise((r) => setTimeout(r, 50));
        const stillOpen = victim.lines.filter((l) => l.startsWith('done ')).length === finished;
        if (stillOpen) {
          victim.child.kill('SIGKILL');
          killedShard = taken[taken.length - 1]!.split(' ')[3];
        }
      } else await new Promise((r) => setTimeout(r, 10));
    }
    await run;
    await workers.stop(other);
    // The shard the victim died in was taken again by the other worker, and finished there.
    expect(other.lines.some((l) => l.startsWith('take ') && l.split(' ')[3] === killedShard)).toBe(true);
    expect(other.lines).toContain(`done ${killedShard}`);
    expect(await readWatermark(store, store.codec(killRegistry, 'big'))).toBe(clean.watermark);
    expect(await dumpOnline(store)).toEqual(rekey(clean.state, clean.store, store));
  }, 120_000);

  it('retries a shard that fails for a while, and moves no watermark while one fails for good', async () => {
    const { prefix, store } = freshStore();
    const worker = startWorker(prefix);
    await worker.ready;
    const folder = path.join(dir.dir, 'offline', 'views', 'big');
    const day = (await readdir(folder)).filter((d) => d.startsWith('date='))[2]!;
    const file = path.join(
      folder,
      day,
      (await readdir(path.join(folder, day))).find((f) => f.endsWith('.parquet'))!,
    );
    const saved = `${file}.saved`;
    await copyFile(file, saved);
    try {
      // A day's file unreadable for good: every try of its shards fails; the others are written.
      await writeFile(file, 'not parquet');
      const failing = context(prefix, store, 1);
      await expect(
        materialize(failing.ctx, { start: new Date(KILL_START), end: new Date(KILL_END) }),
      ).rejects.toThrow(/1 of \d+ shards failed after 5 tries[\s\S]*watermark not moved/);
      expect(await readWatermark(store, store.codec(killRegistry, 'big'))).toBeUndefined();
      expect((await dumpOnline(store)).size).toBeGreaterThan(0);

      // Unreadable until a shard of that day is being tried again: it failed, waited, and then
      // succeeds on a later try.
      await writeFile(file, 'not parquet');
      const linesBefore = worker.lines.length;
      const retriedOf = () =>
        worker.lines
          .slice(linesBefore)
          .filter((l) => l.startsWith(`take big ${day.slice(5)} `) && !l.endsWith(' 1'));
      const healing = context(prefix, store, 1);
      const run = materialize(healing.ctx, { start: new Date(KILL_START), end: new Date(KILL_END) });
      const deadline = Date.now() + 60_000;
      while (retriedOf().length === 0) {
        if (Date.now() > deadline) throw new Error('the failing shard was never tried again');
        await new Promise((r) => setTimeout(r, 20));
      }
      await copyFile(saved, file);
      await run;
      const retried = retriedOf();
      expect(retried.length).toBeGreaterThan(0);
    } finally {
      await copyFile(saved, file);
    }
    await workers.stop(worker);
    expect(await readWatermark(store, store.codec(killRegistry, 'big'))).toBe(clean.watermark);
    expect(await dumpOnline(store)).toEqual(rekey(clean.state, clean.store, store));
  }, 120_000);
});
