/**
 * Before anything reads a view's partitions (a training dataset, a materialization): a compute
 * that died between committing its swap journal and renaming the last partition leaves some dates
 * old and some new. Replaying the journal first means the rows read are all of the old compute or
 * all of the new one.
 */

import { lockViewWaiting } from './compute-lock.ts';
import { hasPendingSwap, recoverView } from './partition-swap.ts';

/**
 * Finishes an interrupted swap of `view`, under the view's compute lock. A live compute holding
 * the lock finishes its own swap, so this waits for it (up to `timeoutMs`) rather than reading.
 */
export async function finishPendingSwap(
  offlineStorePath: string,
  view: string,
  timeoutMs?: number,
): Promise<boolean> {
  if (!(await hasPendingSwap(offlineStorePath, view))) return false;
  const unlock = await lockViewWaiting(offlineStorePath, view, timeoutMs);
  try {
    // Checked again under the lock: the compute we waited for may have finished the swap itself.
    if (!(await hasPendingSwap(offlineStorePath, view))) return false;
    await recoverView(offlineStorePath, view);
    return true;
  } finally {
    await unlock();
  }
}
