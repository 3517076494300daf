import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ResolvedConfig } from '../config/trove-config.ts';
import { openDuckDb } from '../duckdb/open-duckdb.ts';

/** The parts of the config the offline store needs. */
export type OfflineConfig = Pick<ResolvedConfig, 'repoDir' | 'offlineStorePath' | 'offlineStore'>;

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
 * (see spill-folder.ts) instead of failing at the limit.
 */
export async function openOfflineDuckDb(config: OfflineConfig): Promise<OfflineDuckDb> {
  const { instance, connection } = await openDuckDb({
    memoryLimit: config.offlineStore.memoryLimit,
    ...(config.offlineStore.threads ? { threads: config.offlineStore.threads } : {}),
  });
  await connection.run('SET preserve_insertion_order = true');
  return {
    instance,
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
