/**
 * online.lib on a Redis Cluster (3 masters, 3 replicas; bench/redis-cluster-nodes.ts): library
 * reads through `FeatureStore.getOnlineFeatures` for 1 entity × 3 views and 100 entities × 3 views
 * against a bare ioredis `Cluster` issuing the same HMGETs (same keys and fields, auto-pipelined,
 * so one write per node for a 100-entity read, as the library's), replies left as raw buffers.
 * Same method and target as online.lib: throughput ≥ 90% of the baseline's.
 *
 * A third figure weighs the other design for cluster reads: the same HMGETs on the store's own
 * RESP connection, one per master, grouped by slot owner (bench/resp-per-node.ts, a static slot
 * map without redirection handling), against the same bare ioredis `Cluster`. It bounds what the
 * library would gain if its RESP connection learned the cluster (docs/online-store.md).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Cluster } from 'ioredis';
import { median } from '../measure.ts';
import { percentile } from '../online-bench-common.ts';
import { clusterNodes } from '../redis-cluster-nodes.ts';
import { respPerNode } from '../resp-per-node.ts';
import type { BenchResult, Scenario } from '../scenario.ts';
import {
  FEATURE_REFS,
  idsFor,
  latencies,
  makeRepo,
  type Op,
  populate,
  throughput,
  VIEWS,
} from './online-lib.ts';

const TARGET_RATIO = 0.9;
const BASELINE = 'bare ioredis Cluster, auto-pipelined';

export const scenario: Scenario = {
  name: 'online.lib.cluster',
  description:
    'library online reads on a Redis Cluster (1 and 100 entities × 3 views) vs a bare ioredis Cluster',
  async run(ctx) {
    const seconds = ctx.quick ? 0.5 : 3;
    const sequential = ctx.quick ? 300 : 3000;
    const nodes = clusterNodes();
    const store = await makeRepo(
      path.join(ctx.workDir, 'repo-cluster'),
      `trove-bench-${randomUUID().slice(0, 8)}`,
      { TROVE_REDIS_CLUSTER: nodes.join(',') },
    );
    const cluster = new Cluster(nodes, { enableAutoPipelining: true });
    const results: BenchResult[] = [];
    const resp = await respPerNode(cluster);
    try {
      await populate(store);
      const online = store.online();
      const registry = await store.registry();
      const fields = VIEWS.map((v) => online.codec(registry, v).field);
      const builder = online.codec(registry, 'v1').entityKeys;
      const keyOf = (id: number) => online.keys.entity(builder.text([id]));
      for (const n of [1, 100]) {
        const label = `${n === 1 ? '1 entity' : `${n} entities`} × 3 views`;
        const lib: Op = (round) =>
          store.getOnlineFeatures({ entities: { driver_id: idsFor(n, round) }, features: FEATURE_REFS });
        const bare: Op = (round) => {
          const ids = idsFor(n, round);
          if (ids.length === 1) return cluster.hmgetBuffer(keyOf(ids[0]!), ...fields);
          return Promise.all(ids.map((id) => cluster.hmgetBuffer(keyOf(id), ...fields)));
        };
        const own: Op = (round) => resp.hmget(idsFor(n, round).map(keyOf), fields);
        for (let i = 0; i < 500; i++) {
          await lib(i);
          await bare(i);
          await own(i);
        }
        const libRates: number[] = [];
        const bareRates: number[] = [];
        const ownRates: number[] = [];
        for (let rep = 0; rep < ctx.repetitions; rep++) {
          const l = await throughput(lib, seconds);
          const b = await throughput(bare, seconds);
          const o = await throughput(own, seconds);
          libRates.push(l);
          bareRates.push(b);
          ownRates.push(o);
          ctx.log(
            `${n} entities, repetition ${rep + 1}: library ${Math.round(l)}, bare ioredis ${Math.round(b)}, ` +
              `RESP per node ${Math.round(o)} reads/s`,
          );
        }
        const ratios = libRates.map((l, i) => l / bareRates[i]!);
        const ownRatios = ownRates.map((o, i) => o / bareRates[i]!);
        results.push({
          name: `${label}, reads/s`,
          value: median(libRates),
          unit: 'reads/s',
          baseline: median(bareRates),
          baseline_name: BASELINE,
          ratio: median(ratios),
          higher_is_better: true,
          target: TARGET_RATIO,
          passed: median(ratios) >= TARGET_RATIO,
        });
        results.push({
          name: `${label}, bare RESP connection per node, reads/s`,
          value: median(ownRates),
          unit: 'reads/s',
          baseline: median(bareRates),
          baseline_name: BASELINE,
          ratio: median(ownRatios),
          higher_is_better: true,
          target: null,
          passed: null,
        });
        const libTimes = await latencies(lib, sequential);
        const bareTimes = await latencies(bare, sequential);
        for (const p of [50, 99]) {
          const value = percentile(libTimes, p);
          const baseline = percentile(bareTimes, p);
          results.push({
            name: `${label}, p${p} latency (sequential)`,
            value: value * 1000,
            unit: 'µs',
            baseline: baseline * 1000,
            baseline_name: BASELINE,
            ratio: value / baseline,
            higher_is_better: false,
            target: null,
            passed: null,
          });
        }
      }
      return results;
    } finally {
      await resp.close();
      cluster.disconnect();
      await store.teardown();
      await store.close();
    }
  },
};
