import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  distributedWriter,
  type HistoricalJobProgress,
} from '../../../src/offline/distributed-historical/historical-job-coordinator.ts';
import { writeDataset } from '../../../src/offline/lineage/build-dataset.ts';
import type { OnlineStore } from '../../../src/online/online-store.ts';
import { type WorkerProcess, WorkerProcesses } from '../../helpers/worker-process.ts';
import { openStore, uniquePrefix } from '../../online/online-fixture.ts';
import { offlineConfig, queryRows, tempDir } from '../offline-test-kit.ts';
import { FEATURES, fixtureConfig, fixtureRegistry, writeFixture } from './historical-fixture.ts';

/**
 * `trove historical --distributed` against real worker processes: the output equals the
 * single-process output byte for byte (Parquet and CSV), its manifest names the same files, a worker
 * killed with SIGKILL mid-shard loses nothing, and a shard refused for good fails the job without
 * writing anything. 150k entity rows (more than one Parquet row group) × 400k feature rows.
 */
const ENTITY_ROWS = 150_000;
const FEATURE_ROWS = 400_000;
/** A killed worker's shard goes back on the queue within this (plus half of it for the check). */
const HOLD_MS = 2000;
const CHILD = path.join(import.meta.dirname, 'historical-worker-child.ts');

let dir: { dir: string; cleanup: () => Promise<void> };
let entities: string;
let single: { parquet: Buffer; csv: Buffer; manifest: Awaited<ReturnType<typeof writeDataset>>['manifest'] };
const stores: OnlineStore[] = [];
const workers = new WorkerProcesses(CHILD);

/** A worker process on this suite's queues; it prints `ready` once it takes shards. */
function startWorker(prefix: string, ttl?: string): WorkerProcess {
  return workers.start({ dir: dir.dir, prefix, holdMs: HOLD_MS, ttl });
}

function freshPrefix(): string {
  const prefix = uniquePrefix();
  stores.push(openStore(prefix));
  return prefix;
}

async function jobFolders(): Promise<string[]> {
  return readdir(path.join(dir.dir, 'offline', 'jobs', 'historical')).catch(() => []);
}

function distributed(
  prefix: string,
  out: string,
  shards: number | undefined,
  progress?: HistoricalJobProgress,
) {
  const config = fixtureConfig(dir.dir, prefix);
  return writeDataset(config, fixtureRegistry(dir.dir), { entities, features: FEATURES }, out, {
    write: distributedWriter(config, {
      ...(shards === undefined ? {} : { shards }),
      ...(progress ? { progress } : {}),
    }),
  });
}

beforeAll(async () => {
  dir = await tempDir();
  entities = await writeFixture(dir.dir, FEATURE_ROWS, ENTITY_ROWS);
  const config = offlineConfig(dir.dir);
  const registry = fixtureRegistry(dir.dir);
  const parquet = await writeDataset(
    config,
    registry,
    { entities, features: FEATURES },
    path.join(dir.dir, 'single.parquet'),
  );
  await writeDataset(config, registry, { entities, features: FEATURES }, path.join(dir.dir, 'single.csv'));
  single = {
    parquet: await readFile(path.join(dir.dir, 'single.parquet')),
    csv: await readFile(path.join(dir.dir, 'single.csv')),
    manifest: parquet.manifest,
  };
  // The fixture holds what the tests claim to cover.
  const [[rows, noFeatures, repeated, fromTies]] = (await queryRows(`SELECT
      count(*),
      count(*) FILTER (WHERE conv_rate IS NULL AND balance IS NULL AND fare IS NULL),
      (SELECT count(*) FROM (SELECT driver_id, customer_id, event_timestamp FROM '${entities}' GROUP BY ALL HAVING count(*) > 1)),
      (SELECT count(*) FROM (SELECT driver_id, ts FROM '${path.join(dir.dir, 'src', 'driver_src.parquet')}' GROUP BY ALL HAVING count(*) > 1))
    FROM '${path.join(dir.dir, 'single.parquet')}'`)) as [[bigint, bigint, bigint, bigint]];
  expect(Number(rows)).toBe(ENTITY_ROWS);
  expect(Number(noFeatures)).toBeGreaterThan(100);
  expect(Number(repeated)).toBeGreaterThan(1000);
  expect(Number(fromTies)).toBeGreaterThan(1000);
}, 120_000);

afterAll(async () => {
  workers.killAll();
  for (const s of stores) {
    await s.teardown();
    await s.close();
  }
  await dir.cleanup();
});

describe('distributed training datasets', () => {
  it('with two workers writes the single-process file byte for byte, Parquet and CSV, with the same lineage; progress per shard and in total', async () => {
    const prefix = freshPrefix();
    const running = [startWorker(prefix), startWorker(prefix)];
    await Promise.all(running.map((w) => w.ready));
    const started: { shards: number; groups: number; rows: number }[] = [];
    const done: { group: number; bucket: number; rows: number }[] = [];
    const progress: HistoricalJobProgress = {
      start: (f) => started.push(f),
      shard: (f) => done.push(f),
    };
    const out = path.join(dir.dir, 'distributed.parquet');
    const dataset = await distributed(prefix, out, 4, progress);
    expect(dataset.rows).toBe(ENTITY_ROWS);
    expect((await readFile(out)).equals(single.parquet)).toBe(true);
    expect(dataset.manifest.output.sha256).toBe(single.manifest.output.sha256);
    expect(dataset.manifest.partitions).toEqual(single.manifest.partitions);
    // Views are listed concurrently, so listings are recorded in the order they end.
    const byView = (reads: typeof single.manifest.reads) =>
      [...reads].sort((x, y) => x.view.localeCompare(y.view));
    expect(byView(dataset.manifest.reads)).toEqual(byView(single.manifest.reads));
    // Three key groups (driver; customer; driver and customer), each split into 4 buckets.
    expect(started).toEqual([{ job: expect.any(String), shards: 12, groups: 3, rows: 3 * ENTITY_ROWS }]);
    expect(new Set(done.map((d) => `${d.group}-${d.bucket}`)).size).toBe(12);
    expect(done.reduce((n, d) => n + d.rows, 0)).toBe(3 * ENTITY_ROWS);
    for (const w of running) expect(w.lines.some((l) => l.startsWith('take '))).toBe(true);

    const csv = path.join(dir.dir, 'distributed.csv');
    await distributed(prefix, csv, 3);
    expect((await readFile(csv)).equals(single.csv)).toBe(true);
    await Promise.all(running.map((w) => workers.stop(w)));
    expect(await jobFolders()).toEqual([]);
  }, 120_000);

  it('with one worker and the default split is one shard that writes the output itself: the same bytes, Parquet and CSV', async () => {
    const prefix = freshPrefix();
    const worker = startWorker(prefix);
    await worker.ready;
    const started: { shards: number; groups: number; rows: number }[] = [];
    const out = path.join(dir.dir, 'one-worker.parquet');
    const dataset = await distributed(prefix, out, undefined, { start: (f) => started.push(f) });
    expect(started).toEqual([{ job: expect.any(String), shards: 1, groups: 3, rows: ENTITY_ROWS }]);
    expect(dataset.rows).toBe(ENTITY_ROWS);
    expect((await readFile(out)).equals(single.parquet)).toBe(true);
    const csv = path.join(dir.dir, 'one-worker.csv');
    await distributed(prefix, csv, undefined);
    expect((await readFile(csv)).equals(single.csv)).toBe(true);
    await workers.stop(worker);
    expect(await jobFolders()).toEqual([]);
  }, 120_000);

  it('loses nothing when a worker is killed with SIGKILL mid-shard: its shard is joined again', async () => {
    const prefix = freshPrefix();
    const victim = startWorker(prefix);
    const other = startWorker(prefix);
    await Promise.all([victim.ready, other.ready]);
    const out = path.join(dir.dir, 'killed.parquet');
    const run = distributed(prefix, out, 4);
    const deadline = Date.now() + 60_000;
    let killed: string | undefined;
    while (!killed) {
      if (Date.now() > deadline) throw new Error('the worker never took a shard');
      const taken = victim.lines.filter((l) => l.startsWith('take '));
      if (taken.length > victim.lines.filter((l) => l.startsWith('done ')).length) {
        victim.child.kill('SIGKILL');
        killed = taken[taken.length - 1]!.split(' ')[1];
      } else await new Promise((r) => setTimeout(r, 5));
    }
    const dataset = await run;
    await workers.stop(other);
    expect(victim.lines).not.toContain(`done ${killed}`);
    expect(other.lines).toContain(`done ${killed}`);
    expect(dataset.rows).toBe(ENTITY_ROWS);
    expect((await readFile(out)).equals(single.parquet)).toBe(true);
    expect(await jobFolders()).toEqual([]);
  }, 120_000);

  it('fails the job, writing nothing, when a shard is refused for good (a worker on another registry)', async () => {
    const prefix = freshPrefix();
    const worker = startWorker(prefix, '3h');
    await worker.ready;
    const out = path.join(dir.dir, 'refused.parquet');
    await expect(distributed(prefix, out, 2)).rejects.toThrow(
      /(\d+) of \1 shards failed \(first: the registry changed since training-dataset job .* was planned/,
    );
    await workers.stop(worker);
    await expect(readFile(out)).rejects.toThrow(/ENOENT/);
    expect((await readdir(dir.dir)).filter((f) => f.includes('refused'))).toEqual([]);
    expect(await jobFolders()).toEqual([]);
  }, 120_000);
});
