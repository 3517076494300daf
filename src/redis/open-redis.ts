/**
 * Opening an ioredis connection to a standalone Redis, a master that Redis Sentinel watches, or a
 * cluster: the one place that knows how each topology is addressed. The online store, a Redis
 * registry and distributed runs each pass the options their use needs (timeouts, retries).
 * ioredis is loaded on first use: it takes about 100 ms to load, and a process that never opens
 * a connection (a file registry; a `trove online` reading over its own RESP connection) need not.
 */
import { createRequire } from 'node:module';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { hostPort } from '../config/host-port.ts';

export type RedisConnection = Redis | Cluster;

/** Where a connection goes: `cluster` nodes, else a `sentinel`-watched master, else `url`. */
export interface RedisTarget {
  /** A standalone Redis's URL (with db and credentials). */
  url: string;
  /** Cluster nodes as `host:port`. */
  cluster?: readonly string[] | undefined;
  sentinel?:
    | {
        /** Sentinels as `host:port`. */
        sentinels: readonly string[];
        /** The master's name in the sentinels' configuration. */
        name: string;
        password?: string | undefined;
        sentinelPassword?: string | undefined;
      }
    | undefined;
}

/** Options that apply to one topology alone, on top of the connection options. */
export interface TopologyOptions {
  cluster?: Omit<ClusterOptions, 'redisOptions'>;
  sentinel?: RedisOptions;
}

/** Wait before reconnect attempt `times`: 50 ms more each time, at most a second. */
export function reconnectBackoff(times: number): number {
  return Math.min(50 * times, 1000);
}

type IoRedis = typeof import('ioredis');
const requireModule = createRequire(import.meta.url);
let ioredis: IoRedis | undefined;

export function loadIoRedis(): IoRedis {
  ioredis ??= requireModule('ioredis') as IoRedis;
  return ioredis;
}

/** Opens a connection to `target` with `options` (each node's, with a cluster). */
export function openRedis(
  target: RedisTarget,
  options: RedisOptions,
  topology: TopologyOptions = {},
): RedisConnection {
  const { Cluster, Redis } = loadIoRedis();
  let client: RedisConnection;
  if (target.cluster && target.cluster.length > 0) {
    client = new Cluster(target.cluster.map(hostPort), { ...topology.cluster, redisOptions: options });
  } else if (target.sentinel) {
    const sentinel = target.sentinel;
    client = new Redis({
      ...options,
      ...topology.sentinel,
      sentinels: sentinel.sentinels.map(hostPort),
      name: sentinel.name,
      password: sentinel.password,
      sentinelPassword: sentinel.sentinelPassword,
      // Sentinel's +switch-master moves the client at once, not at its next failed command.
      failoverDetector: true,
    });
  } else {
    client = new Redis(target.url, options);
  }
  // Failures reach callers through their commands; without a listener ioredis reports connection
  // errors as unhandled.
  client.on('error', () => {});
  return client;
}
