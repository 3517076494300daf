import { randomUUID } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { TroveError } from '../errors.ts';
import { retainReplaced } from './lineage/retained-snapshots.ts';
import { viewFolder } from './offline-layout.ts';

/**
 * Replacing partitions of a view so that a crash at any point leaves complete data:
 *
 * 1. New partitions are written under `<view>/_staging-<id>/date=D/` (invisible to readers, whose
 *    glob is `date=*`).
 * 2. A journal `<view>/_swap-<id>.json` lists every date to replace and whether a new partition
 *    exists for it. Writing it (atomically, by rename) is the commit point.
 * 3. Each `date=D` is renamed to `_trash-<id>/date=D`, and the staged folder renamed into its place.
 * 4. The trash folder is kept as a retained snapshot (lineage/retained-snapshots.ts), then the
 *    journal and staging folders are removed.
 *
 * A crash before step 2 leaves the old partitions untouched (the staging folder is garbage); after
 * it, `recoverView` rolls the swap forward. Every reader and writer of the view runs recovery first.
 */
export interface SwapPlan {
  id: string;
  /** Dates (YYYY-MM-DD) whose partition is replaced; `staged` false means the partition is removed. */
  dates: { date: string; staged: boolean }[];
}

const JOURNAL = /^_swap-([0-9a-f-]+)\.json$/;

/** A journal found in the store: its dates become paths, so nothing but dates is taken. */
const swapPlanSchema = z.object({
  id: z.string().regex(/^[0-9a-f-]+$/),
  dates: z.array(z.strictObject({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), staged: z.boolean() })),
});

async function readJournal(file: string, id: string): Promise<SwapPlan> {
  // A link could make recovery read a file anywhere; Trove writes journals as files.
  if ((await lstat(file)).isSymbolicLink()) {
    throw new TroveError(
      'OFFLINE_STORE_CORRUPT',
      `swap journal ${file} is a symbolic link, not one Trove wrote; remove it by hand if no compute is running`,
      503,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    raw = undefined;
  }
  const parsed = swapPlanSchema.safeParse(raw);
  if (!parsed.success || parsed.data.id !== id) {
    throw new TroveError(
      'OFFLINE_STORE_CORRUPT',
      `swap journal ${file} is not one Trove wrote (expected {id, dates: [{date: YYYY-MM-DD, staged}]}); remove it by hand if no compute is running`,
      503,
    );
  }
  return parsed.data;
}

export function newSwapId(): string {
  return randomUUID();
}

export function stagingFolder(offlineStorePath: string, view: string, id: string): string {
  return path.join(viewFolder(offlineStorePath, view), `_staging-${id}`);
}

function trashFolder(offlineStorePath: string, view: string, id: string): string {
  return path.join(viewFolder(offlineStorePath, view), `_trash-${id}`);
}

function journalPath(offlineStorePath: string, view: string, id: string): string {
  return path.join(viewFolder(offlineStorePath, view), `_swap-${id}.json`);
}

/** Whether a file or folder exists. */
export async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Dates of the partitions a folder holds (`date=YYYY-MM-DD` sub-folders). */
export async function partitionDates(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory() && /^date=\d{4}-\d{2}-\d{2}$/.test(e.name))
    .map((e) => e.name.slice(5))
    .sort();
}

/** Test hook: called between steps of a swap, so a test can simulate a crash at that point. */
export type SwapFailpoint = (step: 'staged' | 'journal-written' | 'partition-swapped') => void;

/** Steps 2–4 of the protocol for a plan whose staging folder is complete. */
export async function commitSwap(
  offlineStorePath: string,
  view: string,
  plan: SwapPlan,
  failpoint?: SwapFailpoint,
): Promise<void> {
  const journal = journalPath(offlineStorePath, view, plan.id);
  await writeFile(`${journal}.tmp`, JSON.stringify(plan));
  await rename(`${journal}.tmp`, journal);
  failpoint?.('journal-written');
  await applySwap(offlineStorePath, view, plan, failpoint);
}

/**
 * After a failure before the commit point (a full disk while staging or writing the journal): the
 * old partitions are untouched, so the staging folder and any half-written journal are removed at
 * once, giving their space back. A committed swap (journal in place) is left for recovery.
 */
export async function abandonSwap(offlineStorePath: string, view: string, id: string): Promise<void> {
  const journal = journalPath(offlineStorePath, view, id);
  if (await exists(journal)) return;
  await rm(`${journal}.tmp`, { force: true });
  await rm(stagingFolder(offlineStorePath, view, id), { recursive: true, force: true });
}

/** Idempotent: moves each date's old partition to trash and the staged one in, then cleans up. */
async function applySwap(
  offlineStorePath: string,
  view: string,
  plan: SwapPlan,
  failpoint?: SwapFailpoint,
): Promise<void> {
  const folder = viewFolder(offlineStorePath, view);
  const staging = stagingFolder(offlineStorePath, view, plan.id);
  const trash = trashFolder(offlineStorePath, view, plan.id);
  await mkdir(trash, { recursive: true });
  for (const { date, staged } of plan.dates) {
    const live = path.join(folder, `date=${date}`);
    const next = path.join(staging, `date=${date}`);
    const old = path.join(trash, `date=${date}`);
    // Once the staged folder has moved in, this date is done; a re-run must not touch it.
    if (staged && !(await exists(next))) continue;
    if (await exists(live)) {
      if (await exists(old)) await rm(old, { recursive: true, force: true });
      await rename(live, old);
    }
    if (staged) await rename(next, live);
    failpoint?.('partition-swapped');
  }
  // Replaced partitions are kept for datasets built from them (lineage/retained-snapshots.ts),
  // before the journal goes: until then a crash replays this and retains them.
  await retainReplaced(offlineStorePath, view, plan.id, trash);
  await rm(journalPath(offlineStorePath, view, plan.id), { force: true });
  await rm(staging, { recursive: true, force: true });
}

/**
 * Finishes swaps a crash interrupted (journal present) and removes staging folders of computes that
 * died before committing. Call with the view's compute lock held, or before reading when no
 * compute can be running.
 */
export async function recoverView(offlineStorePath: string, view: string): Promise<void> {
  const folder = viewFolder(offlineStorePath, view);
  const entries = await readdir(folder).catch(() => [] as string[]);
  const committed = new Set<string>();
  for (const name of entries) {
    const m = JOURNAL.exec(name);
    if (!m?.[1]) continue;
    const file = path.join(folder, name);
    const plan = await readJournal(file, m[1]);
    await applySwap(offlineStorePath, view, plan);
    committed.add(m[1]);
  }
  for (const name of entries) {
    if (/^_(staging|trash)-/.test(name) || name.endsWith('.json.tmp')) {
      await rm(path.join(folder, name), { recursive: true, force: true });
    }
  }
}

/** Whether a view has an unfinished swap (a reader must not trust the partitions until recovery). */
export async function hasPendingSwap(offlineStorePath: string, view: string): Promise<boolean> {
  const entries = await readdir(viewFolder(offlineStorePath, view)).catch(() => [] as string[]);
  return entries.some((n) => JOURNAL.test(n));
}
