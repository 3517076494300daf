import { copyFile, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteString } from '../../../src/duckdb/sql-literals.ts';
import {
  type ComputeOptions,
  type ComputeProgress,
  computeViews,
} from '../../../src/offline/compute-views.ts';
import { computeViewsDistributed } from '../../../src/offline/distributed/compute-coordinator.ts';
import { acquireComputeLease, computeLockKey } from '../../../src/offline/distributed/compute-lease.ts';
import { viewFolder } from '../../../src/offline/offline-layout.ts';
import { parseTimestamp } from '../../../src/offline/parse-timestamp.ts';
import { ValidationError } from '../../../src/offline/validation/check-failure.ts';
import { readValidationRecord } from '../../../src/offline/validation/validation-record.ts';
import type { OnlineStore } from '../../../src/online/online-store.ts';
import { lockConnection } from '../../../src/queue/queue-connection.ts';
import { type WorkerProcess, WorkerProcesses } from '../../helpers/worker-process.ts';
import { openStore, uniquePrefix } from '../../online/online-fixture.ts';
import { queryRows, tempDir } from '../offline-test-kit.ts';
import { computeConfig, computeRegistry, DAY, DAY1, writeComputeSource } from './compute-fixture.ts';

/**
 * Distributed compute against real worker processes, real Redis and real Parquet: each view's
 * partitions (rows, markers, statistics), its validation record and a refusal by its checks equal a
 * single-process compute's, over a whole rebuild and over a range with edges inside days; a worker
 * killed with SIGKILL mid-shard loses nothing; the compute lock in Redis excludes a second holder.
 */
const ROWS = 300_000;
const DRIVERS = 10_000;
/** A killed worker's shard goes back on the queue within this (plus half of it for the check). */
const HOLD_MS = 2000;
const CHILD = path.join(import.meta.dirname, 'compute-worker-child.ts');

const cleanups: (() => Promise<void>)[] = [];
const stores: OnlineStore[] = [];
const workers = new WorkerProcesses(CHILD);
/** The source every test's repo copies, written once. */
let source: string;

async function repo(): Promise<string> {
  const t = await tempDir();
  cleanups.push(t.cleanup);
  await copyFile(source, path.join(t.dir, 'src.parquet'));
  return t.dir;
}

function freshPrefix(): string {
  const prefix = uniquePrefix();
  stores.push(openStore(prefix));
  return prefix;
}

/**
 * Statistics with fractions to 12 significant digits: DuckDB sums doubles in parallel, in no fixed
 * order, so the mean and m2 of two single-process computes of the same rows already differ in their
 * last bits. Counts, bins and top values are compared exactly.
 */
function roundFractions(value: unknown): unknown {
  if (typeof value === 'number' && !Number.isInteger(value)) return Number(value.toPrecision(12));
  if (Array.isArray(value)) return value.map(roundFractions);
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundFractions(v)]));
  return value;
}

/** Everything a view's partitions hold: per date, file names, rows (sorted) and statistics. */
async function snapshot(dir: string, view: string): Promise<Record<string, unknown>> {
  const folder = viewFolder(path.join(dir, 'offline'), view);
  const out: Record<string, unknown> = {};
  const names = (await readdir(folder).catch(() => [] as string[])).sort();
  // Nothing but partitions and the lock-free leftovers a compute may keep: no staging, no journal.
  expect(names.filter((n) => /^_(staging|swap|shard)/.test(n))).toEqual([]);
  for (const name of names.filter((n) => n.startsWith('date='))) {
    const files = (await readdir(path.join(folder, name))).sort();
    const rows = await queryRows(
      `SELECT * FROM read_parquet(${quoteString(path.join(folder, name, '*.parquet'))}) ORDER BY ALL`,
    );
    const statistics = files.includes('_statistics.json')
      ? roundFractions(JSON.parse(await readFile(path.join(folder, name, '_statistics.json'), 'utf8')))
      : null;
    out[name] = {
      files,
      rows: JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)),
      statistics,
    };
  }
  return out;
}

/** Runs a compute, giving back its results or its refusal (views refused and committed). */
async function outcome(run: Promise<unknown>): Promise<unknown> {
  try {
    return { results: await run };
  } catch (err) {
    if (err instanceof ValidationError) return { refused: err.views, committed: err.committed };
    throw err;
  }
}

async function compareRuns(
  options: ComputeOptions,
  dirs: { single: string; distributed: string },
  prefix: string,
) {
  const progress: ComputeProgress[] = [];
  const single = await outcome(
    computeViews(computeConfig(dirs.single, prefix), computeRegistry(dirs.single), options),
  );
  const distributed = await outcome(
    computeViewsDistributed(computeConfig(dirs.distributed, prefix), computeRegistry(dirs.distributed), {
      ...options,
      onProgress: (e) => progress.push(e),
    }),
  );
  expect(distributed).toEqual(single);
  for (const view of ['stats', 'strict']) {
    expect(await snapshot(dirs.distributed, view)).toEqual(await snapshot(dirs.single, view));
    const record = async (dir: string) => {
      const r = await readValidationRecord(path.join(dir, 'offline'), view);
      return r && { status: r.status, failures: r.failures, failedComputes: r.failedComputes };
    };
    expect(await record(dirs.distributed)).toEqual(await record(dirs.single));
  }
  return { single, progress };
}

beforeAll(async () => {
  const t = await tempDir();
  cleanups.push(t.cleanup);
  await writeComputeSource(t.dir, ROWS, DRIVERS);
  source = path.join(t.dir, 'src.parquet');
}, 60_000);

/** A worker process on this suite's queue; it prints `ready` once it takes shards. */
function startWorker(dir: string, prefix: string): WorkerProcess {
  return workers.start({ dir, prefix, holdMs: HOLD_MS });
}

afterAll(async () => {
  workers.killAll();
  for (const s of stores) {
    await s.teardown();
    await s.close();
  }
  for (const c of cleanups) await c();
});

describe('distributed compute', () => {
  it('with two workers equals a single-process compute: partitions, statistics, checks; whole and over a range', async () => {
    const dirs = { single: await repo(), distributed: await repo() };
    const prefix = freshPrefix();
    const running = [startWorker(dirs.distributed, prefix), startWorker(dirs.distributed, prefix)];
    await Promise.all(running.map((w) => w.ready));

    // `strict` fails its check in every partition: refused (nothing committed) in both runs alike.
    const { single, progress } = await compareRuns({}, dirs, prefix);
    expect(single).toMatchObject({ committed: ['stats'] });
    expect(
      await readdir(viewFolder(path.join(dirs.distributed, 'offline'), 'strict')).catch(() => []),
    ).toEqual(expect.not.arrayContaining([expect.stringMatching(/^date=/)]));
    const stats = await snapshot(dirs.distributed, 'stats');
    expect(Object.keys(stats)).toHaveLength(4);
    // Progress per shard (one per day per view) and in total.
    const shards = progress.filter((e) => e.step === 'shard' && e.view === 'stats');
    expect(shards.map((e) => e.shard!.day).sort()).toEqual(Object.keys(stats).map((d) => d.slice(5)));
    const staged = progress.find((e) => e.step === 'staged' && e.view === 'stats');
    expect(shards.at(-1)!.shard!.totalRows).toBe(staged!.rows);
    // Both workers took shards.
    for (const w of running) expect(w.lines.some((l) => l.startsWith('take '))).toBe(true);

    // A new source, and a range whose edges fall inside days: the rows beside it are kept.
    for (const dir of Object.values(dirs)) await writeComputeSource(dir, ROWS - 30_000, DRIVERS);
    const range = {
      views: ['stats'],
      start: { micros: DAY1 + DAY + DAY / 2n },
      end: parseTimestamp(new Date(Number((DAY1 + 3n * DAY + 3n * 3_600_000_000n) / 1000n)).toISOString()),
    };
    await compareRuns(range, dirs, prefix);
    expect(await snapshot(dirs.distributed, 'stats')).not.toEqual(stats);
    await Promise.all(running.map((w) => workers.stop(w)));
  }, 300_000);

  it('loses nothing when a worker is killed with SIGKILL mid-shard: its shard is taken again', async () => {
    const dirs = { single: await repo(), distributed: await repo() };
    const prefix = freshPrefix();
    const victim = startWorker(dirs.distributed, prefix);
    const other = startWorker(dirs.distributed, prefix);
    await Promise.all([victim.ready, other.ready]);
    const config = computeConfig(dirs.distributed, prefix);
    const run = computeViewsDistributed(config, computeRegistry(dirs.distributed), { views: ['stats'] });
    const deadline = Date.now() + 60_000;
    let killedShard: string | undefined;
    while (!killedShard) {
      if (Date.now() > deadline) throw new Error('the worker never took a shard');
      const taken = victim.lines.filter((l) => l.startsWith('take '));
      const finished = victim.lines.filter((l) => l.startsWith('done ')).length;
      if (taken.length > finished) {
        await new Promise((r) => setTimeout(r, 30));
        if (victim.lines.filter((l) => l.startsWith('done ')).length === finished) {
          victim.child.kill('SIGKILL');
          killedShard = taken.at(-1)!.split(' ')[3];
        }
      } else await new Promise((r) => setTimeout(r, 5));
    }
    const results = await run;
    await workers.stop(other);
    expect(other.lines.some((l) => l.startsWith('take ') && l.split(' ')[3] === killedShard)).toBe(true);
    expect(other.lines).toContain(`done ${killedShard}`);
    const single = await computeViews(computeConfig(dirs.single, prefix), computeRegistry(dirs.single), {
      views: ['stats'],
    });
    expect(results).toEqual(single);
    expect(await snapshot(dirs.distributed, 'stats')).toEqual(await snapshot(dirs.single, 'stats'));
  }, 300_000);

  it('its Redis lock excludes a second holder, and is released', async () => {
    const dir = await repo();
    const prefix = freshPrefix();
    const config = computeConfig(dir, prefix);
    const client = lockConnection(config.onlineStore);
    const base = `${prefix}:${config.project}`;
    try {
      const first = await acquireComputeLease(client, base, 'stats', { ttlMs: 2000 });
      await expect(acquireComputeLease(client, base, 'stats')).rejects.toMatchObject({
        code: 'COMPUTE_RUNNING',
        message: expect.stringMatching(
          `feature view stats is being computed by process ${process.pid} on host`,
        ),
      });
      // A compute of the view is refused while the lock is held, and changes nothing.
      await expect(
        computeViewsDistributed(config, computeRegistry(dir), { views: ['stats'] }),
      ).rejects.toMatchObject({ code: 'COMPUTE_RUNNING' });
      expect(await readdir(path.join(dir, 'offline', 'views', 'stats')).catch(() => [])).toEqual([]);
      // Renewed while held: still there after three times its expiry.
      await new Promise((r) => setTimeout(r, 6000));
      expect(await client.get(computeLockKey(base, 'stats'))).toBe(first.value);
      expect(await first.release()).toBe(true);
      expect(await client.exists(computeLockKey(base, 'stats'))).toBe(0);

      // Released only by its holder: a lease whose key another took does not free it.
      const second = await acquireComputeLease(client, base, 'stats', { ttlMs: 60_000 });
      await client.set(computeLockKey(base, 'stats'), 'someone else');
      await expect(second.confirm()).rejects.toMatchObject({ code: 'LOCK_LOST' });
      expect(await second.release()).toBe(false);
      expect(await client.get(computeLockKey(base, 'stats'))).toBe('someone else');
      await client.del(computeLockKey(base, 'stats'));
    } finally {
      client.disconnect();
    }
  }, 60_000);
});
