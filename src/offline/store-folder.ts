/**
 * Trove writes into its offline store by path (locks, staged partitions, renames, removals). A
 * store inside a repo may hold symbolic links its author planted there; a folder of the store that
 * resolves elsewhere is refused before anything is written in it, so no write, rename or removal
 * lands outside the store.
 */
import { realPathInside, realPathOf } from '../duckdb/file-access.ts';
import { TroveError } from '../errors.ts';

/** Throws unless `folder` (existing or not) resolves inside the offline store. */
export async function checkStoreFolder(offlineStorePath: string, folder: string): Promise<void> {
  const root = await realPathOf(offlineStorePath);
  if (!(await realPathInside([root], folder))) {
    throw new TroveError(
      'OFFLINE_STORE_LINK',
      `${folder} leads outside the offline store ${offlineStorePath} (a symbolic link); Trove does not follow links inside its store`,
      503,
    );
  }
}
