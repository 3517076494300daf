/**
 * Redis connections for the online store, configured so a missing or slow Redis fails fast:
 * commands time out after `commandTimeoutMs`, a connection that stops answering is dropped and
 * replaced, queued commands are dropped after one failed reconnect instead of waiting forever, and
 * every failure surfaces as an UnavailableError.
 */
import type { Cluster } from 'ioredis';
import type { TroveConfig } from '../config/trove-config.ts';
import { TroveError, UnavailableError } from '../errors.ts';
import { loadIoRedis, openRedis, type RedisConnection, reconnectBackoff } from '../redis/open-redis.ts';

export type RedisClient = RedisConnection;
export type OnlineStoreConfig = TroveConfig['onlineStore'];

/** Where a client points, for error messages (without credentials). */
export function describeTarget(config: OnlineStoreConfig): string {
  if (config.cluster && config.cluster.length > 0) return `Redis cluster ${config.cluster.join(',')}`;
  if (config.sentinel)
    return `Redis master ${config.sentinel.name} (sentinels ${config.sentinel.sentinels.join(',')})`;
  try {
    const url = new URL(config.redis);
    return `Redis at ${url.host}`;
  } catch {
    return 'Redis';
  }
}

/** Opens a client (standalone, Sentinel-watched or cluster) for the online store. */
export function createRedisClient(config: OnlineStoreConfig): RedisClient {
  const target = { url: config.redis, cluster: config.cluster, sentinel: config.sentinel };
  return openRedis(
    target,
    {
      connectTimeout: config.connectTimeoutMs,
      commandTimeout: config.commandTimeoutMs,
      // A command's timeout only rejects its promise: the command stays queued on the connection
      // until Redis answers. A stalled Redis (or a connection cut without a reset) would then hold
      // every command sent to it, memory growing with the stall, and never be replaced. Silence for
      // a whole command timeout while a command waits means that command has timed out and the
      // connection is likely dead: drop it (failing and freeing the commands on it) and reconnect.
      socketTimeout: config.commandTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      retryStrategy: reconnectBackoff,
    },
    {
      cluster: {
        enableAutoPipelining: true,
        // A backstop for what no failed command tells: slots that moved while nothing was sent.
        slotsRefreshInterval: 5000,
        clusterRetryStrategy: reconnectBackoff,
      },
      sentinel: {
        sentinelCommandTimeout: config.commandTimeoutMs,
        // A master demoted by a failover refuses writes: reconnect (to the promoted replica, as the
        // sentinels now say) and send the command again; newest-wins writes are safe to repeat.
        reconnectOnError: (err: Error) => (err.message.startsWith('READONLY') ? 2 : false),
      },
    },
  );
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof loadIoRedis().Cluster;
}

/** Maps a Redis failure to the error callers see; TroveErrors pass through. */
export function redisFailure(err: unknown, target: string, what: string): TroveError {
  if (err instanceof TroveError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UnavailableError(`${target}: ${what} failed: ${message}`);
}

/** Rejects with an UnavailableError when `promise` takes longer than `ms`. */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  target: string,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new UnavailableError(`${target}: ${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } catch (err) {
    throw redisFailure(err, target, what);
  } finally {
    clearTimeout(timer);
  }
}
