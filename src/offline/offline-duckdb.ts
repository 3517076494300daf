import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ResolvedConfig } from '../config/trove-config.ts';
import { sourceFolders } from '../definitions/source-paths.ts';
import { realDirectories, realPathOf } from '../duckdb/file-access.ts';
import { openDuckDb } from '../duckdb/open-duckdb.ts';

/** The parts of the config the offline store needs. */
export type OfflineConfig = Pick<ResolvedConfig, 'repoDir' | 'offlineStorePath' | 'offlineStore'> &
  Partial<Pick<ResolvedConfig, 'dataDirs' | 'onDemand'>>;

/** A DuckDB instance for one offline-store operation, closed when the operation ends. */
export interface OfflineDuckDb {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  close(): void;
}

/**
 * Opens an in-memory DuckDB configured from `offlineStore` in trove.yaml. Insertion order is kept
 * (the default) because the training output must follow the entity table's order and CTAS must
 * keep file order; large sorts spill to a folder of the instance's own under the system temp folder
 * (see spill-folder.ts) instead of failing at the limit. Files are confined to
 * the folders sources may read (the repo, the offline store, `TROVE_DATA_DIRS`) and `files`, the
 * files the operator named for this operation (an entity file, an output file).
 */
export async function openOfflineDuckDb(
  config: OfflineConfig,
  files: readonly string[] = [],
): Promise<OfflineDuckDb> {
  const { instance, connection } = await openDuckDb({
    memoryLimit: config.offlineStore.memoryLimit,
    ...(config.offlineStore.threads ? { threads: config.offlineStore.threads } : {}),
    preserveInsertionOrder: true,
    access: {
      directories: await realDirectories(sourceFolders(config)),
      files: await Promise.all(files.map(realPathOf)),
    },
  });
  return {
    instance,
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
