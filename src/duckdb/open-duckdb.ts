import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { newSpillFolder } from './spill-folder.ts';

/** Settings of a DuckDB instance used by Trove. */
export interface DuckDbOptions {
  /** Database file; `:memory:` for none. */
  path?: string;
  memoryLimit?: string;
  threads?: number;
  /** Folder DuckDB may spill to when a query exceeds the memory limit; one of its own by default. */
  tempDirectory?: string;
}

/**
 * Opens a DuckDB instance configured for Trove: UTC session time zone (naive timestamps are UTC),
 * no extension downloads (only the built-in parquet, json and icu are available), bounded memory,
 * and a spill folder of the instance's own (see spill-folder.ts).
 */
export async function openDuckDb(options: DuckDbOptions = {}): Promise<{
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}> {
  const config: Record<string, string> = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'true',
  };
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  if (options.threads) config.threads = String(options.threads);
  config.temp_directory = options.tempDirectory ?? (await newSpillFolder());
  const instance = await DuckDBInstance.create(options.path ?? ':memory:', config);
  const connection = await connectUtc(instance);
  return { instance, connection };
}

/** A new connection whose session time zone is UTC, whatever the machine's zone. */
export async function connectUtc(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  return connection;
}
