/**
 * A Redis Cluster master killed -9 under online reads and pushes through `trove serve`: its
 * replica takes over, reads and pushes resume without restarting the API, and with
 * `onlineStore.waitReplicas: 1` no acknowledged push is lost. The cluster is the drill's own
 * (ports 7121-7126, started by scripts/redis-cluster.sh).
 */
import { execFileSync } from 'node:child_process';
import type { Drill } from './drill.ts';
import { failoverDrill } from './support/failover-drill.ts';
import { scriptTopology } from './support/failover-run.ts';

const FIRST_PORT = 7121;
const DIR = '/tmp/trove-drill-redis-cluster';

export const drill: Drill = {
  name: 'cluster-failover',
  description:
    'a Redis Cluster master killed -9 under reads and pushes: the replica takes over, both resume without an API restart; acknowledged pushes lost, without and with waitReplicas',
  timeLimitSeconds: 240,
  run: (ctx) =>
    failoverDrill(
      ctx,
      'cluster-failover',
      scriptTopology({
        script: 'redis-cluster.sh',
        env: {
          REDIS_CLUSTER_PORT: String(FIRST_PORT),
          REDIS_CLUSTER_DIR: DIR,
          REDIS_CLUSTER_NODE_TIMEOUT: '2000',
        },
        dir: DIR,
        troveEnv: (nodes) => ({ TROVE_REDIS_CLUSTER: nodes }),
        // The first master the cluster lists that has not failed.
        masterPort: () => {
          const nodes = execFileSync('redis-cli', ['-p', String(FIRST_PORT), 'cluster', 'nodes'], {
            encoding: 'utf8',
          });
          const line = nodes
            .split('\n')
            .find((l) => / master /.test(l) && !/fail/.test(l) && / connected/.test(l));
          const address = line?.split(' ')[1];
          if (!address) throw new Error(`no master in ${nodes}`);
          return Number(address.split('@')[0]!.split(':')[1]);
        },
      }),
    ),
};
