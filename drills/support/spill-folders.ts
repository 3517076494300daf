/** DuckDB spill folders (see src/duckdb/spill-folder.ts) under the system temp folder, by owner pid. */
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import { spillFolderPid } from '../../src/duckdb/spill-folder.ts';

export async function spillFolders(): Promise<{ name: string; pid: number }[]> {
  const out: { name: string; pid: number }[] = [];
  for (const name of await readdir(os.tmpdir()).catch(() => [] as string[])) {
    const pid = spillFolderPid(name);
    if (pid !== undefined) out.push({ name, pid });
  }
  return out;
}
