import path from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { FileAccess } from './file-access.ts';
import { newSpillFolder } from './spill-folder.ts';
import { quoteString } from './sql-literals.ts';

/** Settings of a DuckDB instance used by Trove. */
export interface DuckDbOptions {
  /** Database file; `:memory:` for none. */
  path?: string;
  memoryLimit?: string;
  threads?: number;
  /** Folder DuckDB may spill to when a query exceeds the memory limit; one of its own by default. */
  tempDirectory?: string;
  /** Keeps the order of rows as read (DuckDB's default is true; set here because it is locked). */
  preserveInsertionOrder?: boolean;
  /**
   * The files DuckDB may touch. Every instance that runs SQL built from a feature repo's
   * definitions, the registry or a request is confined (`FileAccess`): reads and writes outside
   * the listed folders and files, extension installs and loads, and changes to any setting
   * (including this one) fail. `unrestricted` only for Trove's own fixed SQL over paths it chose
   * (the example data generator, benchmarks, tests).
   */
  access: FileAccess | 'unrestricted';
}

function listSql(items: readonly string[]): string {
  return `[${items.map(quoteString).join(', ')}]`;
}

/** A folder path that ends with a separator, so that `/repo` does not also admit `/repo-other`. */
function asFolder(p: string): string {
  return p.endsWith(path.sep) ? p : `${p}${path.sep}`;
}

/**
 * Opens a DuckDB instance configured for Trove: UTC session time zone (naive timestamps are UTC),
 * no extension downloads (only the built-in parquet, json and icu are available), bounded memory,
 * a spill folder of the instance's own (see spill-folder.ts), and file access confined as `access`
 * says, with the configuration locked so SQL cannot lift it.
 */
export async function openDuckDb(options: DuckDbOptions): Promise<{
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
  try {
    const connection = await instance.connect();
    // GLOBAL: later connections of the instance get it too, once the configuration is locked.
    await connection.run(`SET GLOBAL TimeZone = 'UTC'`);
    if (options.preserveInsertionOrder !== undefined) {
      await connection.run(`SET preserve_insertion_order = ${options.preserveInsertionOrder}`);
    }
    if (options.access !== 'unrestricted') {
      // The spill folder is admitted by DuckDB itself.
      await connection.run(`SET allowed_directories = ${listSql(options.access.directories.map(asFolder))}`);
      await connection.run(`SET allowed_paths = ${listSql(options.access.files ?? [])}`);
      await connection.run('SET enable_external_access = false');
      await connection.run('SET lock_configuration = true');
    }
    return { instance, connection };
  } catch (err) {
    instance.closeSync();
    throw err;
  }
}

/** A new connection whose session time zone is UTC, whatever the machine's zone. */
export async function connectUtc(instance: DuckDBInstance): Promise<DuckDBConnection> {
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  return connection;
}
