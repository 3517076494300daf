/**
 * Partition versions a compute replaced, kept so training datasets built from them can be rebuilt
 * byte for byte (SPEC §9):
 *
 *   <view>/_retained/r-<replaced at, ms since epoch>-<swap id>/date=YYYY-MM-DD/<files>
 *
 * A swap moves the partitions it replaces into its trash folder and, once every date is swapped,
 * renames the whole trash folder here: one atomic rename, before the swap's journal is removed, so
 * a crash leaves the replaced versions in the trash (and the replay of the journal retains them) or
 * retained, never lost. The time in the name is when they stopped being live.
 *
 * Expiry (`expireSnapshots`, on compute and `trove gc`) removes a retained partition once it is
 * older than the retention period and no dataset younger than that period read it. A partition is
 * first renamed to `_expired-<...>` (atomic), then deleted; a crash in between leaves a folder
 * that nothing reads and the next expiry deletes.
 */
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { viewFolder } from '../offline-layout.ts';
import { checkStoreFolder } from '../store-folder.ts';
import { listManifests } from './dataset-catalog.ts';

/** Dates of the `date=YYYY-MM-DD` folders in `folder` (partition-swap.ts has the same; kept apart to avoid an import cycle). */
async function partitionDates(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && /^date=\d{4}-\d{2}-\d{2}$/.test(e.name))
    .map((e) => e.name.slice(5))
    .sort();
}

/** Thirty days, in seconds: how long replaced partitions are kept by default. */
export const DEFAULT_RETENTION_SECONDS = 30 * 86_400;

const SNAPSHOT = /^r-(\d+)-([0-9a-f-]+)$/;
const EXPIRED = /^_expired-/;

export function retainedFolder(offlineStorePath: string, view: string): string {
  return path.join(viewFolder(offlineStorePath, view), '_retained');
}

/**
 * Keeps a swap's trash folder (the partitions it replaced) as a retained snapshot, or removes it
 * when it holds nothing. Idempotent: a trash folder already retained is gone.
 */
export async function retainReplaced(offlineStorePath: string, view: string, id: string, trash: string) {
  const dates = await partitionDates(trash);
  if (dates.length === 0) {
    await rm(trash, { recursive: true, force: true });
    return;
  }
  const folder = retainedFolder(offlineStorePath, view);
  await checkStoreFolder(offlineStorePath, folder);
  await mkdir(folder, { recursive: true });
  await rename(trash, path.join(folder, `r-${Date.now()}-${id}`));
}

/** One retained version of a partition. */
export interface RetainedPartition {
  view: string;
  date: string;
  /** When the version stopped being live (ms since epoch). */
  replacedAtMs: number;
  folder: string;
}

/** The retained versions of a view's partitions, newest first. */
export async function retainedPartitions(
  offlineStorePath: string,
  view: string,
): Promise<RetainedPartition[]> {
  const folder = retainedFolder(offlineStorePath, view);
  const names = await readdir(folder).catch(() => [] as string[]);
  const out: RetainedPartition[] = [];
  for (const name of names) {
    const m = SNAPSHOT.exec(name);
    if (!m) continue;
    for (const date of await partitionDates(path.join(folder, name))) {
      out.push({
        view,
        date,
        replacedAtMs: Number(m[1]),
        folder: path.join(folder, name, `date=${date}`),
      });
    }
  }
  return out.sort((a, b) => b.replacedAtMs - a.replacedAtMs);
}

/** What one expiry did. */
export interface ExpiryReport {
  /** Retained partition versions removed. */
  removed: number;
  /** Expired versions kept because a dataset younger than the retention period read them. */
  keptForDatasets: number;
  /** Versions still within the retention period. */
  retained: number;
}

/** Views that have a folder in the store (whatever the registry holds now). */
async function storedViewNames(offlineStorePath: string): Promise<string[]> {
  const entries = await readdir(path.join(offlineStorePath, 'views'), { withFileTypes: true }).catch(
    () => [],
  );
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

/**
 * Removes retained partition versions older than `retentionSeconds` that no dataset younger than
 * that read. A version is needed when a young dataset's manifest lists a file of the same view and
 * date with the same name and size (files are matched without reading them: a needed file is never
 * removed, at worst an unneeded one is kept a while longer). `onRemove` is a test hook.
 */
export async function expireSnapshots(
  offlineStorePath: string,
  retentionSeconds: number,
  options: { now?: number; onRemove?: (partition: RetainedPartition) => void } = {},
): Promise<ExpiryReport> {
  const now = options.now ?? Date.now();
  const horizon = now - retentionSeconds * 1000;
  const young = (await listManifests(offlineStorePath)).filter((m) => Date.parse(m.createdAt) >= horizon);
  const needed = new Set<string>();
  for (const m of young) {
    for (const p of m.partitions) {
      for (const f of p.files) needed.add(`${p.view}\0${p.date}\0${f.name}\0${f.size}`);
    }
  }
  const report: ExpiryReport = { removed: 0, keptForDatasets: 0, retained: 0 };
  for (const view of await storedViewNames(offlineStorePath)) {
    const folder = retainedFolder(offlineStorePath, view);
    if (!(await stat(folder).catch(() => undefined))) continue;
    await checkStoreFolder(offlineStorePath, folder);
    // Leftovers of an expiry that died between its rename and its removal.
    for (const name of await readdir(folder)) {
      if (EXPIRED.test(name)) await rm(path.join(folder, name), { recursive: true, force: true });
    }
    for (const partition of await retainedPartitions(offlineStorePath, view)) {
      if (partition.replacedAtMs >= horizon) {
        report.retained++;
        continue;
      }
      const files = await readdir(partition.folder).catch(() => [] as string[]);
      const sizes = await Promise.all(
        files.map(async (name) => {
          const { size } = await stat(path.join(partition.folder, name));
          return `${view}\0${partition.date}\0${name}\0${size}`;
        }),
      );
      if (sizes.some((key) => needed.has(key))) {
        report.keptForDatasets++;
        continue;
      }
      options.onRemove?.(partition);
      const doomed = path.join(
        folder,
        `_expired-${path.basename(path.dirname(partition.folder))}-${partition.date}`,
      );
      try {
        await rename(partition.folder, doomed);
      } catch (err) {
        // Another expiry took it first.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      await rm(doomed, { recursive: true, force: true });
      report.removed++;
      // A snapshot whose last partition went is an empty folder; removing it fails harmlessly if not.
      await rmdir(path.dirname(partition.folder)).catch(() => undefined);
    }
  }
  return report;
}
