/**
 * A shard of a distributed materialization: one view, one partition day, one slice of the view's
 * entities by hash. Shards of one view run cover disjoint rows, and every row of an entity within a
 * day is in the same shard, so the newest-wins writes of all shards leave the same online state as
 * one process reading the whole range.
 */
import type { EntitySlice } from '../offline-rows.ts';

/** What a queued shard carries (JSON: event times as decimal µs strings). */
export interface ShardData {
  /** The run the shard belongs to (one per view per coordinating run). */
  runId: string;
  view: string;
  /** The schema fingerprint the run planned with; a worker seeing another refuses the shard. */
  fingerprint: string;
  /** UTC date of the partition read. */
  day: string;
  slice: EntitySlice;
  /** Event-time range in µs; null start is open. */
  start: string | null;
  end: string;
  /** Position of the shard in its run, from 0, and the run's shard count. */
  index: number;
  count: number;
}

/** What a finished shard did. */
export interface ShardResult {
  rows: number;
  written: number;
  /** Greatest event time written (µs), or null when the shard had no rows. */
  newestEvent: string | null;
}

/** Shards of a view's run: each day split into `slices` entity slices. */
export function planShards(
  base: Omit<ShardData, 'day' | 'slice' | 'index' | 'count'>,
  days: readonly string[],
  slices: number,
): ShardData[] {
  const out: ShardData[] = [];
  const count = days.length * slices;
  for (const day of days)
    for (let s = 0; s < slices; s++)
      out.push({ ...base, day, slice: { buckets: slices, from: s, to: s + 1 }, index: out.length, count });
  return out;
}
