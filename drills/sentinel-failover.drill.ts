/**
 * A Sentinel-watched master killed -9 under online reads and pushes through `trove serve`: the
 * sentinels promote its replica, the API's connections ask them where the master went, reads and
 * pushes resume without restarting the API, and with `onlineStore.waitReplicas: 1` no acknowledged
 * push is lost. The master, replica and three sentinels are the drill's own (ports 7221-7225,
 * started by scripts/redis-sentinel.sh).
 */
import type { Drill } from './drill.ts';
import { failoverDrill } from './support/failover-drill.ts';
import { scriptTopology } from './support/failover-run.ts';

const DIR = '/tmp/trove-drill-redis-sentinel';

export const drill: Drill = {
  name: 'sentinel-failover',
  description:
    'a Sentinel-watched master killed -9 under reads and pushes: the replica is promoted, both resume without an API restart; acknowledged pushes lost, without and with waitReplicas',
  timeLimitSeconds: 240,
  run: (ctx) =>
    failoverDrill(
      ctx,
      'sentinel-failover',
      scriptTopology({
        script: 'redis-sentinel.sh',
        env: { REDIS_SENTINEL_PORT: '7221', REDIS_SENTINEL_DIR: DIR, REDIS_SENTINEL_DOWN_AFTER: '1000' },
        dir: DIR,
        troveEnv: (sentinels) => ({ TROVE_REDIS_SENTINELS: sentinels, TROVE_REDIS_SENTINEL_NAME: 'trove' }),
        masterPort: (run) => Number(run('master').trim().split(':')[1]),
      }),
    ),
};
