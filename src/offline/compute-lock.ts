import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConflictError } from '../errors.ts';
import { processAlive } from '../process-alive.ts';
import { viewFolder } from './offline-layout.ts';
import { checkStoreFolder } from './store-folder.ts';

/**
 * How long a lock folder without a valid pid counts as being taken (its owner between creating the
 * folder and writing the pid) before it counts as left by a process that died right there.
 */
const PID_GRACE_MS = 10_000;

/**
 * The live owner of a lock folder: its pid, `'starting'` while a pid may still be on its way, or
 * undefined when the lock is stale. A pid file that is empty or garbled (its owner killed, or its
 * disk full, mid-write) is no owner: read as a number it would be 0, which `kill(0, 0)` finds
 * "alive" (it is the caller's own process group), and the view would stay locked for ever.
 */
async function liveOwner(lock: string): Promise<number | 'starting' | undefined> {
  const text = await readFile(path.join(lock, 'pid'), 'utf8').catch(() => '');
  if (/^[1-9]\d*$/.test(text)) return processAlive(Number(text)) ? Number(text) : undefined;
  const changed = await stat(lock).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return Date.now() - changed < PID_GRACE_MS ? 'starting' : undefined;
}

/**
 * Takes the compute lock of a view: one compute per view at a time, since two swaps of the same
 * partitions would interleave. The lock is a folder (mkdir is atomic) holding the owner's pid, so
 * a lock left by a killed process is taken over instead of blocking the view forever.
 */
export async function lockView(offlineStorePath: string, view: string): Promise<() => Promise<void>> {
  const folder = viewFolder(offlineStorePath, view);
  // Everything that writes in a view's folder holds this lock: checked once here.
  await checkStoreFolder(offlineStorePath, folder);
  await mkdir(folder, { recursive: true });
  const lock = path.join(folder, '_lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(lock);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock Trove took is a folder; a link would make it read (and remove in) another place.
      await checkStoreFolder(offlineStorePath, lock);
      const owner = await liveOwner(lock);
      if (owner !== undefined) {
        throw new ConflictError(
          'COMPUTE_RUNNING',
          `feature view ${view} is being computed by ${owner === 'starting' ? 'another process' : `process ${owner}`}`,
        );
      }
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    const pidFile = path.join(lock, 'pid');
    try {
      await writeFile(pidFile, String(process.pid));
    } catch (err) {
      // A full disk: leave no lock that nobody holds, and say where (Node's message for a failed
      // write names no file: "ENOSPC: no space left on device, write").
      await rm(lock, { recursive: true, force: true });
      throw Object.assign(new Error(`writing ${pidFile} failed: ${(err as Error).message}`, { cause: err }), {
        code: (err as NodeJS.ErrnoException).code,
      });
    }
    return () => rm(lock, { recursive: true, force: true });
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
