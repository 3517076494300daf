/**
 * The Redis Cluster the cluster benchmarks run against: REDIS_CLUSTER_NODES, or the 3+3 cluster of
 * scripts/redis-cluster.sh on 127.0.0.1:7101-7106, started when it is not running.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'scripts', 'redis-cluster.sh');

/** The nodes, `host:port` each, the cluster started first if need be. */
export function clusterNodes(): string[] {
  const given = process.env.REDIS_CLUSTER_NODES;
  if (given) return given.split(',').filter(Boolean);
  const printed = execFileSync(SCRIPT, ['start'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, REDIS_CLUSTER_PORT: '7101' },
  });
  return printed.trim().split('\n').at(-1)!.split(',');
}
