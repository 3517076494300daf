/**
 * The Redis-backed queue of shards of distributed runs (BullMQ): its name and key prefix, what
 * every shard carries whatever its kind, and the retry policy. A shard's `kind` names the stage that
 * works it (`materialize`, `compute`, …); a worker process takes every kind it has a handler for
 * (shard-worker.ts). The prefix carries a hash tag, so every key of the queue is in one slot of a
 * Redis Cluster, as BullMQ requires.
 */
import type { JobsOptions } from 'bullmq';

export const SHARD_QUEUE = 'shards';

/** How many times a shard is tried before its run fails, waiting 1, 2, 4, 8 s between tries. */
export const SHARD_ATTEMPTS = 5;

/** What every queued shard carries (JSON). */
export interface ShardData {
  /** Which handler works it. */
  kind: string;
  /** The run the shard belongs to (one per view per coordinating run). */
  runId: string;
  view: string;
  /** UTC date of the partition the shard covers. */
  day: string;
  /** Position of the shard in its run, from 0, and the run's shard count. */
  index: number;
  count: number;
}

/** What every finished shard returns: the rows it handled, for progress. */
export interface ShardResult {
  rows: number;
}

/**
 * Every key of the project's queue starts with this: under the project's keys (so removing the
 * project removes its queue), with the project's key base as hash tag.
 */
export function shardQueuePrefix(keyBase: string): string {
  return `${keyBase}:q:{${keyBase}}`;
}

export const SHARD_JOB_OPTIONS: JobsOptions = {
  attempts: SHARD_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  // Kept a while after the end so the coordinator still finds them; then dropped.
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 24 * 3600 },
};

/**
 * A shard that must not be tried again (its run was planned under another schema, its view is
 * gone): it fails at once and so fails its run.
 */
export class ShardRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardRefused';
  }
}
