/**
 * What a reader of the offline store sees, reduced to a checksum (row count and an order-free
 * hash sum), so a drill can tell whether a view holds exactly an old compute's rows, exactly a
 * new one's, or anything else (a mix, a lost partition). Reads go through the product's reader
 * path: a pending swap is finished first, then the view's partitions are listed.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { quoteString } from '../../src/duckdb/sql-literals.ts';
import type { FeatureStore } from '../../src/feature-store.ts';
import { finishPendingSwap } from '../../src/offline/finish-pending-swap.ts';
import { writeHistoricalFile } from '../../src/offline/historical-output.ts';
import { viewFiles } from '../../src/offline/view-files.ts';

/** `<rows>:<hash sum>` of Parquet files; `0:` when there are none. */
export async function filesChecksum(files: readonly string[]): Promise<string> {
  if (files.length === 0) return '0:';
  const { instance, connection } = await openDuckDb({
    threads: 2,
    memoryLimit: '256MB',
    access: 'unrestricted',
  });
  try {
    const reader = await connection.runAndReadAll(
      `SELECT count(*)::VARCHAR AS n, coalesce(sum(hash(t)), 0)::VARCHAR AS h
       FROM read_parquet([${files.map(quoteString).join(', ')}], union_by_name = true, hive_partitioning = false) t`,
    );
    const row = reader.getRowObjectsJS()[0];
    return `${row?.n}:${row?.h}`;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The checksum of every row of a view, as a training-dataset reader would find them. */
export async function viewChecksum(store: FeatureStore, view: string): Promise<string> {
  const offline = store.config.offlineStorePath;
  await finishPendingSwap(offline, view);
  return filesChecksum((await viewFiles(offline, view)).files);
}

/** The checksum of a training dataset of one view's features over an entity file. */
export async function trainingChecksum(
  store: FeatureStore,
  view: string,
  entities: string,
  scratch: string,
): Promise<string> {
  await mkdir(scratch, { recursive: true });
  const out = path.join(scratch, `training-${view}.parquet`);
  // The file alone, without a manifest in the catalog: the catalog lives in the offline store, and
  // reading must work while that disk is full.
  await writeHistoricalFile(store.config, await store.registry(), { entities, features: [`${view}:*`] }, out);
  return filesChecksum([out]);
}
