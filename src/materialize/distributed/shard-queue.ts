/**
 * The Redis-backed queue of materialization shards (BullMQ): its name and key prefix, the Redis
 * connections it needs, and the retry policy of a shard. The prefix carries a hash tag, so every
 * key of the queue is in one slot of a Redis Cluster, as BullMQ requires.
 */
import type { JobsOptions } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import type { OnlineKeys } from '../../online/online-keys.ts';
import { hostPort, type OnlineStoreConfig } from '../../online/redis-client.ts';

export const SHARD_QUEUE = 'materialize-shards';

/** How many times a shard is tried before its run fails, waiting 1, 2, 4, 8 s between tries. */
export const SHARD_ATTEMPTS = 5;

/**
 * Every key of the project's queue starts with this: under the project's keys (so removing the
 * project removes its queue), with the project's base as hash tag.
 */
export function shardQueuePrefix(keys: OnlineKeys): string {
  return `${keys.base}:q:{${keys.base}}`;
}

export const SHARD_JOB_OPTIONS: JobsOptions = {
  attempts: SHARD_ATTEMPTS,
  backoff: { type: 'exponential', delay: 1000 },
  // Kept a while after the end so the coordinator still finds them; then dropped.
  removeOnComplete: { age: 3600 },
  removeOnFail: { age: 24 * 3600 },
};

/**
 * A connection for BullMQ to the online store's Redis. BullMQ blocks on some commands and keeps
 * retrying through outages itself, so it gets no command timeout and no limit on retries.
 */
export function queueConnection(config: OnlineStoreConfig): Redis | Cluster {
  const common = { maxRetriesPerRequest: null, connectTimeout: config.connectTimeoutMs };
  let client: Redis | Cluster;
  if (config.cluster && config.cluster.length > 0)
    client = new Cluster(config.cluster, { redisOptions: common });
  else if (config.sentinel)
    client = new Redis({
      ...common,
      sentinels: config.sentinel.sentinels.map(hostPort),
      name: config.sentinel.name,
      password: config.sentinel.password,
      sentinelPassword: config.sentinel.sentinelPassword,
      failoverDetector: true,
    });
  else client = new Redis(config.redis, common);
  client.on('error', () => {});
  return client;
}
