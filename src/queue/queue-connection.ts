/**
 * Redis connections of distributed runs, to the online store's Redis as configured (standalone,
 * Sentinel-watched or cluster): one for BullMQ, which blocks on some commands and retries through
 * outages itself, and one for locks, whose commands must fail rather than wait for ever.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { hostPort } from '../config/host-port.ts';
import type { TroveConfig } from '../config/trove-config.ts';

export type QueueRedisConfig = TroveConfig['onlineStore'];
export type QueueRedis = Redis | Cluster;

function connect(config: QueueRedisConfig, options: RedisOptions): QueueRedis {
  let client: QueueRedis;
  if (config.cluster && config.cluster.length > 0)
    client = new Cluster(config.cluster, { redisOptions: options });
  else if (config.sentinel)
    client = new Redis({
      ...options,
      sentinels: config.sentinel.sentinels.map(hostPort),
      name: config.sentinel.name,
      password: config.sentinel.password,
      sentinelPassword: config.sentinel.sentinelPassword,
      failoverDetector: true,
    });
  else client = new Redis(config.redis, options);
  client.on('error', () => {});
  return client;
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
