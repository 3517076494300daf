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
  const dates = (await partitionDates(viewFolder(store, view))).filter(
    (date) => !(from && date < from) && !(to && date > to),
  );
  // Partitions are listed concurrently: a training dataset over a year of daily partitions would
  // otherwise wait on hundreds of file-system calls one after another.
  const partitions = await Promise.all(
    dates.map(async (date) => {
      const folder = partitionFolder(store, view, date);
      const names = (await readdir(folder).catch(() => [] as string[])).sort();
      // A marker is checked again after listing: a push removes the marker before adding its
      // file, so a marker still present now vouches for every file listed above. One absent from
      // the listing is absent.
      const still = (marker: string) =>
        names.includes(marker) ? exists(path.join(folder, marker)) : Promise.resolve(false);
      const [uniqueKeyTimes, uniqueKeys] = await Promise.all([
        still(UNIQUE_KEY_TIMES_MARKER),
        still(UNIQUE_KEYS_MARKER),
      ]);
      const files = names.filter((n) => n.endsWith('.parquet')).map((n) => path.join(folder, n));
      return { files, uniqueKeyTimes, uniqueKeys };
    }),
  );
  return {
    files: partitions.flatMap((p) => p.files),
    uniqueKeyTimes: partitions.every((p) => p.uniqueKeyTimes),
    partitions: partitions.length,
    uniqueKeys: partitions.every((p) => p.uniqueKeys),
  };
}
