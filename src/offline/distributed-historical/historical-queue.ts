/**
 * The Redis-backed queue of training-dataset shards (BullMQ): its name, its key prefix (the
 * project's shard-queue prefix, so removing the project's keys removes it and a Redis Cluster keeps
 * it in one slot), its connection and the retry policy. Kept apart from the materialize/compute
 * shard queue: a shard here is a join of an entity slice, not work on a view's partition day.
 */
import type { JobsOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import type { ResolvedConfig } from '../../config/trove-config.ts';

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

/** `<keyPrefix>:<project>:q:{<keyPrefix>:<project>}`: under the project's keys, one hash tag. */
export function historicalQueuePrefix(config: QueueConfig): string {
  const { keyPrefix } = config.onlineStore;
  const base = keyPrefix ? `${keyPrefix}:${config.project}` : config.project;
  return `${base}:q:{${base}}`;
}

function hostPort(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(at + 1)) };
}

/**
 * A connection for BullMQ to the online store's Redis (standalone, Sentinel-watched or cluster):
 * no command timeout and no limit on retries, as BullMQ requires.
 */
export function historicalQueueConnection(config: QueueConfig): Redis | Cluster {
  const store = config.onlineStore;
  const common = { maxRetriesPerRequest: null, connectTimeout: store.connectTimeoutMs };
  let client: Redis | Cluster;
  if (store.cluster && store.cluster.length > 0)
    client = new Cluster(store.cluster, { redisOptions: common });
  else if (store.sentinel)
    client = new Redis({
      ...common,
      sentinels: store.sentinel.sentinels.map(hostPort),
      name: store.sentinel.name,
      password: store.sentinel.password,
      sentinelPassword: store.sentinel.sentinelPassword,
      failoverDetector: true,
    });
  else client = new Redis(store.redis, common);
  client.on('error', () => {});
  return client;
}
