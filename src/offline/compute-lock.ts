import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError } from '../errors.ts';
import { processAlive } from '../process-alive.ts';
import { viewFolder } from './offline-layout.ts';

/**
 * Takes the compute lock of a view: one compute per view at a time, since two swaps of the same
 * partitions would interleave. The lock is a folder (mkdir is atomic) holding the owner's pid, so
 * a lock left by a killed process is taken over instead of blocking the view forever.
 */
export async function lockView(offlineStorePath: string, view: string): Promise<() => Promise<void>> {
  const folder = viewFolder(offlineStorePath, view);
  await mkdir(folder, { recursive: true });
  const lock = path.join(folder, '_lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(lock);
      await writeFile(path.join(lock, 'pid'), String(process.pid));
      return () => rm(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(await readFile(path.join(lock, 'pid'), 'utf8').catch(() => 'NaN'));
      if (Number.isFinite(pid) && processAlive(pid)) {
        throw new ConflictError(
          'COMPUTE_RUNNING',
          `feature view ${view} is being computed by process ${pid}`,
        );
      }
      await rm(lock, { recursive: true, force: true });
    }
  }
  throw new ConflictError('COMPUTE_RUNNING', `could not take the compute lock of feature view ${view}`);
}

/**
 * Like `lockView`, but waits for a running compute to finish (up to `timeoutMs`) instead of failing
 * at once: for short writes, such as adding pushed rows, that must land after the compute's swap.
 */
export async function lockViewWaiting(
  offlineStorePath: string,
  view: string,
  timeoutMs = 60_000,
): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await lockView(offlineStorePath, view);
    } catch (err) {
      if (!(err instanceof ConflictError) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
}
