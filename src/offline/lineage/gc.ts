/**
 * `trove gc`: finishes swaps a crash interrupted, then expires retained partition versions (see
 * retained-snapshots.ts). Every step is one that a crash may interrupt and a later run completes:
 * swaps replay from their journal, and an expiry renames a version out of reach before deleting it.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { finishPendingSwap } from '../finish-pending-swap.ts';
import type { RetainedPartition } from './retained-snapshots.ts';
import { type ExpiryReport, expireSnapshots } from './retained-snapshots.ts';

export interface GcReport extends ExpiryReport {
  /** Views whose interrupted swap was finished. */
  swapsFinished: string[];
}

export async function collectGarbage(
  offlineStorePath: string,
  retentionSeconds: number,
  options: { now?: number; onRemove?: (partition: RetainedPartition) => void } = {},
): Promise<GcReport> {
  const entries = await readdir(path.join(offlineStorePath, 'views'), { withFileTypes: true }).catch(
    () => [],
  );
  const swapsFinished: string[] = [];
  for (const e of entries) {
    if (e.isDirectory() && (await finishPendingSwap(offlineStorePath, e.name))) swapsFinished.push(e.name);
  }
  return { ...(await expireSnapshots(offlineStorePath, retentionSeconds, options)), swapsFinished };
}
