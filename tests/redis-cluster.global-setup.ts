/**
 * The `cluster` test project runs the online suites against a 3-master, 3-replica Redis Cluster:
 * the one REDIS_CLUSTER_NODES names, or else the one scripts/redis-cluster.sh keeps on
 * 127.0.0.1:7101-7106, started here when it is not running (a fraction of a second when it is).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export default function startRedisCluster(): void {
  if (process.env.REDIS_CLUSTER_NODES) return;
  const script = path.resolve(import.meta.dirname, '..', 'scripts', 'redis-cluster.sh');
  execFileSync(script, ['start'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, REDIS_CLUSTER_PORT: '7101' },
  });
}
