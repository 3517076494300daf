import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * The online suites that run a second time against a Redis Cluster (project `cluster`): reads,
 * the newest-wins property, pushes, materialization, kill -9, online/offline agreement, and nodes
 * that stall or restart. Every other suite runs once, against the standalone Redis.
 */
const CLUSTER_SUITES = [
  'tests/online/online-read.test.ts',
  'tests/online/newest-wins.property.test.ts',
  'tests/online/online-offline-agreement.test.ts',
  'tests/online/cluster-nodes.test.ts',
  'tests/online/aggregation/online-aggregation.property.test.ts',
  'tests/online/on-demand/on-demand-online.test.ts',
  'tests/push/push-idempotency.test.ts',
  'tests/materialize/materialize.test.ts',
  'tests/materialize/kill.test.ts',
  'tests/materialize/view-lock.test.ts',
  'tests/materialize/distributed/distributed.test.ts',
  'tests/registry/redis-registry.test.ts',
  'tests/server/redis-registry-reload.test.ts',
];

/** The cluster's nodes: REDIS_CLUSTER_NODES, or those scripts/redis-cluster.sh starts. */
const CLUSTER_NODES =
  process.env.REDIS_CLUSTER_NODES ??
  [7101, 7102, 7103, 7104, 7105, 7106].map((p) => `127.0.0.1:${p}`).join(',');

export default defineConfig({
  // Feature repos import 'trove'; in tests that is these sources, not the compiled dist/.
  resolve: { alias: { trove: path.resolve(import.meta.dirname, 'src', 'index.ts') } },
  test: {
    globalSetup: ['tests/build-dist.global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'redis',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/online/cluster-nodes.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: CLUSTER_SUITES,
          globalSetup: ['tests/redis-cluster.global-setup.ts'],
          // Set in the test processes, which hand it on to the processes they start.
          env: { TROVE_REDIS_CLUSTER: CLUSTER_NODES },
        },
      },
    ],
  },
});
