/**
 * The Redis-backed queue of training-dataset shards (BullMQ): its name, its key prefix (the
 * project's shard-queue prefix, so removing the project's keys removes it and a Redis Cluster keeps
 * it in one slot), its connection and the retry policy. Kept apart from the materialize/compute
 * shard queue: a shard here is a join of an entity slice, not work on a view's partition day.
 */
import type { JobsOptions } from 'bullmq';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import { projectKeyBase } from '../../queue/project-key-base.ts';
import { type QueueRedis, queueConnection } from '../../queue/queue-connection.ts';
import { shardQueuePrefix } from '../../queue/shard-queue.ts';

export const HISTORICAL_QUEUE = 'historical-shards';

/** How many times a shard is tried before its job fails, waiting 1, 2, 4, 8 s between tries. */
export const HISTORICAL_ATTEMPTS = 5;

/** What the queue needs of the config: the online store's Redis and the project's key base. */
export type QueueConfig = Pick<ResolvedConfig, 'project' | 'onlineStore'>;

/** What a queued shard carries (JSON): the job, found in the offline store, and which shard. */
export interface HistoricalShardData {
  jobId: string;
  /** The shard's key group and bucket (historical-job.ts). */
  group: number;
  bucket: number;
  /** Position among the job's non-empty shards, from 0, and their count (for logs). */
  index: number;
  count: number;
}

/** What a finished shard did. */
export interface HistoricalShardResult {
  rows: number;
  /** The worker's time on the shard, its DuckDB opened to its part file in place. */
  seconds: number;
}

export const HISTORICAL_JOB_OPTIONS: JobsOptions = {
  attempts: HISTORICAL_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 24 * 3600 },
};

export function historicalQueuePrefix(config: QueueConfig): string {
  return shardQueuePrefix(projectKeyBase(config.onlineStore.keyPrefix, config.project));
}

/** A connection for BullMQ to the online store's Redis (queue-connection.ts). */
export function historicalQueueConnection(config: QueueConfig): QueueRedis {
  return queueConnection(config.onlineStore);
}
