/**
 * A shard of a distributed materialization: one view, one partition day, one slice of the view's
 * entities by hash. Shards of one view run cover disjoint rows, and every row of an entity within a
 * day is in the same shard, so the newest-wins writes of all shards leave the same online state as
 * one process reading the whole range.
 */
import type { ShardData, ShardResult } from '../../queue/shard-queue.ts';
import type { EntitySlice } from '../offline-rows.ts';

export const MATERIALIZE_SHARD = 'materialize';

/** What a queued materialization shard carries (JSON: event times as decimal µs strings). */
export interface MaterializeShardData extends ShardData {
  kind: typeof MATERIALIZE_SHARD;
  /** The schema fingerprint the run planned with; a worker seeing another refuses the shard. */
  fingerprint: string;
  slice: EntitySlice;
  /** Event-time range in µs; null start is open. */
  start: string | null;
  end: string;
}

/** What a finished materialization shard did. */
export interface MaterializeShardResult extends ShardResult {
  written: number;
  /** Greatest event time written (µs), or null when the shard had no rows. */
  newestEvent: string | null;
}

/** Shards of a view's run: each day split into `slices` entity slices. */
export function planShards(
  base: Omit<MaterializeShardData, 'kind' | 'day' | 'slice' | 'index' | 'count'>,
  days: readonly string[],
  slices: number,
): MaterializeShardData[] {
  const out: MaterializeShardData[] = [];
  const count = days.length * slices;
  for (const day of days)
    for (let s = 0; s < slices; s++)
      out.push({
        ...base,
        kind: MATERIALIZE_SHARD,
        day,
        slice: { buckets: slices, from: s, to: s + 1 },
        index: out.length,
        count,
      });
  return out;
}
