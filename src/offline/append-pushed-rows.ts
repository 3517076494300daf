import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { StoredFeatureView } from '../definitions/feature-view.ts';
import { registerSourceViews } from '../duckdb/register-source-views.ts';
import { quoteIdentifier, quoteString } from '../duckdb/sql-literals.ts';
import { TroveError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { lockViewWaiting } from './compute-lock.ts';
import {
  canonicalColumnList,
  canonicalRowsSql,
  checkTransformation,
  offlineSourceContext,
} from './compute-views.ts';
import { type OfflineConfig, openOfflineDuckDb } from './offline-duckdb.ts';
import {
  EVENT_TIMESTAMP,
  partitionFolder,
  UNIQUE_KEY_TIMES_MARKER,
  UNIQUE_KEYS_MARKER,
} from './offline-layout.ts';
import { newSwapId, partitionDates, recoverView, stagingFolder } from './partition-swap.ts';
import { checkStoreFolder } from './store-folder.ts';

/**
 * Runs `body` with a connection on which the push source `sourceName` stands for `pushFile` alone
 * and every other source reads as usual, with the offline views over the source.
 */
async function withPushFile<T>(
  config: OfflineConfig,
  registry: Registry,
  sourceName: string,
  pushFile: string,
  body: (connection: DuckDBConnection, views: StoredFeatureView[]) => Promise<T>,
): Promise<T> {
  const views = registry.storedViews().filter((v) => v.source === sourceName && v.offline);
  const db = await openOfflineDuckDb(config);
  try {
    const ctx = await offlineSourceContext(config, registry);
    await registerSourceViews(db.connection, registry.definitions.sources, ctx);
    await db.connection.run(
      `CREATE OR REPLACE TEMP VIEW ${quoteIdentifier(sourceName)} AS SELECT * FROM read_parquet(${quoteString(pushFile)})`,
    );
    return await body(db.connection, views);
  } finally {
    db.close();
  }
}

/**
 * The rows `appendPushedRows` adds (or added) to each offline view for `pushFile`, without adding
 * them: what a retried push reports when its rows are already in the store.
 */
export async function pushedRowCounts(
  config: OfflineConfig,
  registry: Registry,
  sourceName: string,
  pushFile: string,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (!registry.storedViews().some((v) => v.source === sourceName && v.offline)) return counts;
  return withPushFile(config, registry, sourceName, pushFile, async (connection, views) => {
    for (const view of views) {
      await checkTransformation(connection, view);
      const reader = await connection.runAndReadAll(
        `SELECT count(*) FROM (${canonicalRowsSql(registry, view)}) WHERE ${EVENT_TIMESTAMP} IS NOT NULL`,
      );
      counts[view.name] = Number(reader.getColumns()[0]?.[0] ?? 0);
    }
    return counts;
  });
}

/**
 * Makes rows pushed to a push source part of the offline store at once, so the next training
 * dataset sees them without a recompute. The new push file is run through each offline view's SQL
 * (field mapping, transformation, casts to the declared types) and its rows are added to the view's
 * date partitions as extra files, each moved in by rename. A later compute of those dates rebuilds
 * them from the source, which reads the push folder too, so no row is counted twice. Rows added to
 * an aggregation view keep the push's id from the file's PUSH_ID column.
 *
 * Returns the rows added per view.
 */
export async function appendPushedRows(
  config: OfflineConfig,
  registry: Registry,
  sourceName: string,
  pushFile: string,
): Promise<Record<string, number>> {
  const added: Record<string, number> = {};
  if (!registry.storedViews().some((v) => v.source === sourceName && v.offline)) return added;
  const store = config.offlineStorePath;
  // The push source stands for the new file alone here: its older rows are already in the views.
  await withPushFile(config, registry, sourceName, pushFile, async (connection, views) => {
    for (const view of views) {
      const unlock = await lockViewWaiting(store, view.name);
      const id = newSwapId();
      const staging = stagingFolder(store, view.name, id);
      try {
        await checkTransformation(connection, view);
        await recoverView(store, view.name);
        const keys = registry.joinKeysOf(view).map((k) => quoteIdentifier(k.name));
        const columns = canonicalColumnList(registry, view);
        const copied = await connection.runAndReadAll(
          `COPY (SELECT ${columns}, strftime(${EVENT_TIMESTAMP}, '%Y-%m-%d') AS date
                 FROM (${canonicalRowsSql(registry, view)}) WHERE ${EVENT_TIMESTAMP} IS NOT NULL
                 ORDER BY ${[...keys, EVENT_TIMESTAMP].join(', ')})
           TO ${quoteString(staging)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), FILENAME_PATTERN 'push-${id}-{i}')`,
        );
        added[view.name] = Number(copied.getColumns()[0]?.[0] ?? 0);
        for (const date of await partitionDates(staging)) {
          const from = path.join(staging, `date=${date}`);
          const to = partitionFolder(store, view.name, date);
          await checkStoreFolder(store, to);
          await mkdir(to, { recursive: true });
          // Before the new rows appear: they may tie with rows already there.
          await rm(path.join(to, UNIQUE_KEY_TIMES_MARKER), { force: true });
          await rm(path.join(to, UNIQUE_KEYS_MARKER), { force: true });
          for (const file of await readdir(from)) await rename(path.join(from, file), path.join(to, file));
        }
      } catch (err) {
        throw new TroveError(
          'PUSH_OFFLINE_FAILED',
          `feature view ${view.name}: adding pushed rows to the offline store failed: ${(err as Error).message.split('\n')[0]}; they are kept in ${pushFile} and the next compute includes them`,
        );
      } finally {
        await rm(staging, { recursive: true, force: true });
        await unlock();
      }
    }
  });
  return added;
}
