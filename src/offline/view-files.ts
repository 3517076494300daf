import { readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  partitionFolder,
  UNIQUE_KEY_TIMES_MARKER,
  UNIQUE_KEYS_MARKER,
  viewFolder,
} from './offline-layout.ts';
import { exists, partitionDates } from './partition-swap.ts';
import { checkStoreFolder } from './store-folder.ts';

/** The Parquet files of a view's partitions, and whether they are all free of key/time ties. */
export interface ViewFiles {
  files: string[];
  /** Every listed partition carries the `_unique-key-times` marker. */
  uniqueKeyTimes: boolean;
  /** Partitions listed. */
  partitions: number;
  /** Every listed partition carries the `_unique-keys` marker. */
  uniqueKeys: boolean;
}

/**
 * The stored Parquet files of a view whose partitions may hold rows in `[from, to]` (UTC dates,
 * either bound open), for every reader of the offline store. Finish a pending swap first
 * (`finishPendingSwap`), or the list may mix two computes.
 */
export async function viewFiles(store: string, view: string, from?: string, to?: string): Promise<ViewFiles> {
  await checkStoreFolder(store, viewFolder(store, view));
  const files: string[] = [];
  let uniqueKeyTimes = true;
  let uniqueKeys = true;
  let partitions = 0;
  for (const date of await partitionDates(viewFolder(store, view))) {
    if ((from && date < from) || (to && date > to)) continue;
    const folder = partitionFolder(store, view, date);
    const names = await readdir(folder).catch(() => [] as string[]);
    for (const n of names.sort()) if (n.endsWith('.parquet')) files.push(path.join(folder, n));
    // Checked after listing: a push removes the marker before adding its file, so a marker still
    // present now vouches for every file listed above.
    if (uniqueKeyTimes && !(await exists(path.join(folder, UNIQUE_KEY_TIMES_MARKER)))) uniqueKeyTimes = false;
    if (uniqueKeys && !(await exists(path.join(folder, UNIQUE_KEYS_MARKER)))) uniqueKeys = false;
    partitions++;
  }
  return { files, uniqueKeyTimes, partitions, uniqueKeys };
}
