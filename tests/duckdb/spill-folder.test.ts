/**
 * DuckDB spills into a folder of each instance's own under the system temp folder, never into the
 * current folder and never into one another instance uses: instances sharing a folder overwrite
 * each other's spill files (same names in every instance) and crash.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDuckDb } from '../../src/duckdb/open-duckdb.ts';
import { sweepSpillFolders } from '../../src/duckdb/spill-folder.ts';

async function tempDirectoryOf(db: Awaited<ReturnType<typeof openDuckDb>>): Promise<string> {
  const reader = await db.connection.runAndReadAll(`SELECT current_setting('temp_directory') AS t`);
  return String(reader.getRowObjectsJS()[0]?.t);
}

describe('DuckDB spill folders', () => {
  it('are distinct per instance, under the system temp folder, and gone after close', async () => {
    const a = await openDuckDb({ memoryLimit: '48MB', threads: 1, access: 'unrestricted' });
    const b = await openDuckDb({ memoryLimit: '48MB', threads: 1, access: 'unrestricted' });
    try {
      const [folderA, folderB] = [await tempDirectoryOf(a), await tempDirectoryOf(b)];
      expect(folderA).not.toBe(folderB);
      for (const folder of [folderA, folderB]) {
        expect(path.dirname(folder)).toBe(os.tmpdir());
        expect(path.basename(folder)).toMatch(new RegExp(`^trove-spill-${process.pid}-`));
      }
      // A sort larger than the memory limit spills into the instance's folder.
      let spilled = false;
      const watch = setInterval(() => {
        spilled ||= existsSync(folderA);
      }, 5);
      await a.connection.run(
        `CREATE TABLE t AS SELECT i, md5(i::VARCHAR) || md5((i + 1)::VARCHAR) AS s FROM range(1500000) t(i) ORDER BY s`,
      );
      clearInterval(watch);
      expect(spilled || existsSync(folderA)).toBe(true);
      expect(existsSync(path.join(process.cwd(), '.tmp'))).toBe(false);
      a.connection.closeSync();
      a.instance.closeSync();
      expect(existsSync(folderA)).toBe(false);
    } finally {
      b.connection.closeSync();
      b.instance.closeSync();
    }
  });

  it('left by a killed process are removed, those of live processes kept', async () => {
    const parent = path.join(os.tmpdir(), `trove-spill-test-${process.pid}`);
    await mkdir(parent, { recursive: true });
    try {
      // The pid of a process that has exited, and one that is alive (this test's parent).
      const dead = Number(
        execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']),
      );
      const names = [`trove-spill-${dead}-0a1b2c`, `trove-spill-${process.ppid}-0a1b2c`, 'other-folder'];
      for (const name of names) {
        await mkdir(path.join(parent, name));
        await writeFile(path.join(parent, name, 'duckdb_temp_storage_DEFAULT-0.tmp'), 'x');
      }
      expect(await sweepSpillFolders(parent)).toEqual([names[0]]);
      expect((await readdir(parent)).sort()).toEqual([names[1], names[2]].sort());
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });
});
