import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureStore } from '../../../src/feature-store.ts';
import type { DatasetManifest } from '../../../src/offline/lineage/dataset-manifest.ts';
import {
  DEFAULT_RETENTION_SECONDS,
  retainedFolder,
} from '../../../src/offline/lineage/retained-snapshots.ts';
import { partitionFolder } from '../../../src/offline/offline-layout.ts';
import { FEATURES, type LineageRepo, makeLineageRepo } from './lineage-repo.ts';

/**
 * kill -9 of `trove gc` while it removes expired partition versions: afterwards, and after a gc
 * that runs to the end, the dataset whose replaced partitions are retained is rebuilt byte for
 * byte, and every expired version is gone.
 */
const CHILD = path.join(import.meta.dirname, 'gc-child.ts');
const EXPIRED = 120;
const DAY_MS = 86_400_000;

let repo: LineageRepo;
let store: FeatureStore;
let manifest: DatasetManifest;

beforeAll(async () => {
  repo = await makeLineageRepo({ featureRows: 50_000, entityRows: 20_000 });
  await repo.writeSource(1);
  await repo.apply();
  store = await repo.open();
  await store.compute();
  ({ manifest } = await store.getHistoricalFeatures({
    entities: repo.entities,
    features: FEATURES,
    out: path.join(repo.dir, 'train.parquet'),
  }));
  // The recompute replaces every partition the dataset read: they are now retained, and young.
  await repo.writeSource(2);
  await store.compute();
}, 120_000);
afterAll(async () => {
  await store?.close();
  await repo?.remove();
});

/** Partition versions replaced 60 days ago that no dataset read (their date is one no dataset has). */
async function fabricateExpired(): Promise<void> {
  const first = manifest.partitions[0]!;
  const file = path.join(
    partitionFolder(store.config.offlineStorePath, 'stats', first.date),
    first.files[0]!.name,
  );
  const folder = retainedFolder(store.config.offlineStorePath, 'stats');
  for (let i = 0; i < EXPIRED; i++) {
    const partition = path.join(
      folder,
      `r-${Date.now() - 60 * DAY_MS - i}-${randomUUID()}`,
      'date=1999-01-01',
    );
    await mkdir(partition, { recursive: true });
    await copyFile(file, path.join(partition, 'part-0.parquet'));
  }
}

async function expiredLeft(): Promise<number> {
  const folder = retainedFolder(store.config.offlineStorePath, 'stats');
  let n = 0;
  for (const name of await readdir(folder)) {
    const dates = await readdir(path.join(folder, name)).catch(() => [] as string[]);
    if (dates.includes('date=1999-01-01')) n++;
  }
  return n;
}

function runChild(): { child: ChildProcess; started: Promise<void>; exited: Promise<void> } {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CHILD,
      JSON.stringify({
        store: store.config.offlineStorePath,
        retentionSeconds: DEFAULT_RETENTION_SECONDS,
        slowMs: 3,
      }),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const started = new Promise<void>((resolve) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('started')) resolve();
    });
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return { child, started, exited };
}

describe('killing trove gc', () => {
  it('mid-run leaves every version a young dataset needs, and a rerun finishes the expiry', async () => {
    const catalog = await store.datasets();
    let landed = 0;
    for (let attempt = 0; attempt < 6 && landed < 2; attempt++) {
      await fabricateExpired();
      const before = await expiredLeft();
      const { child, started, exited } = runChild();
      await started;
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      child.kill('SIGKILL');
      await exited;
      const left = await expiredLeft();
      // Counted only when the kill came after some removals and before the last.
      if (left > 0 && left < before) landed++;
      const rebuilt = await catalog.reproduce(
        manifest.id,
        path.join(repo.dir, `after-kill-${attempt}.parquet`),
      );
      expect(rebuilt.identical).toBe(true);
    }
    expect(landed).toBeGreaterThanOrEqual(1);
    const report = await store.gc();
    expect(await expiredLeft()).toBe(0);
    expect(report.retained).toBeGreaterThanOrEqual(manifest.partitions.length);
    // No half-removed version is left behind.
    const names = await readdir(retainedFolder(store.config.offlineStorePath, 'stats'));
    expect(names.filter((n) => !/^r-\d+-/.test(n))).toEqual([]);
    const rebuilt = await catalog.reproduce(manifest.id, path.join(repo.dir, 'after-gc.parquet'));
    expect(rebuilt.identical).toBe(true);
  }, 240_000);
});
