/**
 * Where a DuckDB instance spills when a query outgrows its memory limit: a folder of its own under
 * the system temp folder (`TMPDIR`), `trove-spill-<pid>-<id>`. DuckDB's default is `.tmp` in the
 * current folder, and it names its spill files the same in every instance
 * (`duckdb_temp_storage_DEFAULT-0.tmp`), so two processes spilling into one folder overwrite each
 * other's blocks and crash. DuckDB creates the folder only when it spills and removes it on close;
 * a folder left by a process killed mid-query is removed by the next process that opens DuckDB.
 */
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { processAlive } from '../process-alive.ts';

const NAME = /^trove-spill-(\d+)-[0-9a-f]+$/;

let swept: Promise<void> | undefined;

/** The pid in a spill folder's name; undefined for any other name. */
export function spillFolderPid(name: string): number | undefined {
  const pid = NAME.exec(name)?.[1];
  return pid === undefined ? undefined : Number(pid);
}

/**
 * Removes spill folders under `parent` whose process is gone, and those named with this process's
 * pid (left by an earlier process that had the same pid: this one has opened none yet when it sweeps).
 */
export async function sweepSpillFolders(parent = os.tmpdir()): Promise<string[]> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    const pid = spillFolderPid(name);
    if (pid === undefined || (pid !== process.pid && processAlive(pid))) continue;
    await rm(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/** A fresh spill folder path for one DuckDB instance (not created: DuckDB does that if it spills). */
export async function newSpillFolder(): Promise<string> {
  swept ??= sweepSpillFolders().then(() => undefined);
  await swept;
  return path.join(
    os.tmpdir(),
    `trove-spill-${process.pid}-${randomUUID().replaceAll('-', '').slice(0, 12)}`,
  );
}
