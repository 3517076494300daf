/**
 * The connection a Redis registry uses: standalone, Sentinel-watched or cluster, failing fast like
 * the online store's (a command times out, a failed connect is retried once, then the caller hears
 * of it). ioredis is loaded on first use: a file registry, or a reader that never touches Redis,
 * does not pay its ~100 ms load.
 */
import { createRequire } from 'node:module';
import type { Cluster, Redis } from 'ioredis';
import { hostPort } from '../config/host-port.ts';
import type { RedisRegistryLocation } from '../config/registry-location.ts';

export type RegistryRedisClient = Redis | Cluster;

const requireModule = createRequire(import.meta.url);

export function createRegistryClient(location: RedisRegistryLocation): RegistryRedisClient {
  const { Cluster, Redis } = requireModule('ioredis') as typeof import('ioredis');
  const common = {
    connectTimeout: location.connectTimeoutMs,
    commandTimeout: location.commandTimeoutMs,
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(50 * times, 1000),
  };
  let client: RegistryRedisClient;
  if (location.cluster && location.cluster.length > 0) {
    client = new Cluster(location.cluster.map(hostPort), {
      redisOptions: common,
      clusterRetryStrategy: (times: number) => Math.min(50 * times, 1000),
    });
  } else if (location.sentinel) {
    const sentinel = location.sentinel;
    client = new Redis({
      ...common,
      sentinels: sentinel.sentinels.map(hostPort),
      name: sentinel.name,
      password: sentinel.password,
      sentinelPassword: sentinel.sentinelPassword,
      failoverDetector: true,
    });
  } else {
    client = new Redis(location.url, common);
  }
  // Failures reach callers through their commands; without a listener ioredis reports them as unhandled.
  client.on('error', () => {});
  return client;
}
