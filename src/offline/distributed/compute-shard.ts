/**
 * A shard of a distributed compute: one view's one partition day. Its worker stages the day's rows
 * (and their statistics) into the run's staging folder; the run's coordinator checks and commits the
 * whole view at once when every day is staged (compute-coordinator.ts).
 */
import { createHash } from 'node:crypto';
import type { StoredFeatureView } from '../../definitions/feature-view.ts';
import type { ShardData, ShardResult } from '../../queue/shard-queue.ts';
import type { Registry } from '../../registry/registry.ts';

export const COMPUTE_SHARD = 'compute';

/** What a queued compute shard carries (JSON: event times as decimal µs strings). */
export interface ComputeShardData extends ShardData {
  kind: typeof COMPUTE_SHARD;
  /** The run's swap id: the shard stages into the view's `_staging-<swapId>` folder. */
  swapId: string;
  /** The view's definition the run planned with (definitionHash); a worker seeing another refuses. */
  definition: string;
  /** Event-time range `[start, end)` in µs; null is open. */
  start: string | null;
  end: string | null;
  /** Whether the day's live partition is in the range: its rows outside the range are kept. */
  touched: boolean;
  /** Whether to write the day's statistics beside its files. */
  statistics: boolean;
}

/** What a finished compute shard did. */
export interface ComputeShardResult extends ShardResult {
  /** Whether the day has rows (a `date=D` folder staged); a touched day without any is removed. */
  staged: boolean;
}

/** A digest of everything a view's rows depend on in the registry: the view, its source and keys. */
export function definitionHash(registry: Registry, view: StoredFeatureView): string {
  const text = JSON.stringify({
    view,
    source: registry.source(view.source) ?? null,
    keys: registry.joinKeysOf(view),
  });
  return createHash('sha256').update(text).digest('hex');
}
