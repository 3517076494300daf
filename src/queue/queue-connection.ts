/**
 * Redis connections of distributed runs, to the online store's Redis as configured (standalone,
 * Sentinel-watched or cluster): one for BullMQ, which blocks on some commands and retries through
 * outages itself, and one for locks, whose commands must fail rather than wait for ever.
 */
import type { RedisOptions } from 'ioredis';
import type { TroveConfig } from '../config/trove-config.ts';
import { openRedis, type RedisConnection } from '../redis/open-redis.ts';

export type QueueRedisConfig = TroveConfig['onlineStore'];
export type QueueRedis = RedisConnection;

function connect(config: QueueRedisConfig, options: RedisOptions): QueueRedis {
  return openRedis({ url: config.redis, cluster: config.cluster, sentinel: config.sentinel }, options);
}

/** A connection for BullMQ: no command timeout and no limit on retries, as BullMQ requires. */
export function queueConnection(config: QueueRedisConfig): QueueRedis {
  return connect(config, { maxRetriesPerRequest: null, connectTimeout: config.connectTimeoutMs });
}

/** A connection for locks: a command fails after the configured timeout and a few retries. */
export function lockConnection(config: QueueRedisConfig): QueueRedis {
  return connect(config, {
    maxRetriesPerRequest: 2,
    connectTimeout: config.connectTimeoutMs,
    commandTimeout: config.commandTimeoutMs,
  });
}
