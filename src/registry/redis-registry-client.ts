/**
 * The connection a Redis registry uses (standalone, Sentinel-watched or cluster), failing fast like
 * the online store's: a command times out, a failed connect is retried once, then the caller hears
 * of it.
 */
import type { RedisRegistryLocation } from '../config/registry-location.ts';
import { openRedis, type RedisConnection, reconnectBackoff } from '../redis/open-redis.ts';

export type RegistryRedisClient = RedisConnection;

export function createRegistryClient(location: RedisRegistryLocation): RegistryRedisClient {
  return openRedis(
    location,
    {
      connectTimeout: location.connectTimeoutMs,
      commandTimeout: location.commandTimeoutMs,
      maxRetriesPerRequest: 1,
      retryStrategy: reconnectBackoff,
    },
    { cluster: { clusterRetryStrategy: reconnectBackoff } },
  );
}
