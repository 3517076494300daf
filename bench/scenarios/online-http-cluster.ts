/**
 * online.http on a Redis Cluster (3 masters, 3 replicas; bench/redis-cluster-nodes.ts): Trove's
 * `/get-online-features` against the bare Fastify route reading the same values through a plain
 * ioredis `Cluster`, auto-pipelined (bench/online-http-servers.ts). Same loads and targets as
 * online.http.
 */
import { CONNECTIONS } from '../http-load.ts';
import { clusterNodes } from '../redis-cluster-nodes.ts';
import type { Scenario } from '../scenario.ts';
import { measureOnlineHttp } from './online-http.ts';

export const scenario: Scenario = {
  name: 'online.http.cluster',
  description: `POST /get-online-features on a Redis Cluster vs a bare Fastify route on an ioredis Cluster (autocannon, ${CONNECTIONS} connections)`,
  run: (ctx) =>
    measureOnlineHttp(
      ctx,
      { TROVE_REDIS_CLUSTER: clusterNodes().join(',') },
      'bare Fastify route, ioredis Cluster HMGETs (auto-pipelined), same JSON',
    ),
};
