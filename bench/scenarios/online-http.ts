/**
 * Online features over HTTP: autocannon on loopback against `/get-online-features` of Trove's
 * server and of a bare Fastify route issuing the same Redis reads with plain ioredis and returning
 * the same JSON (bench/online-http-servers.ts, in a child process so the load generator does not
 * share its event loop), for 1 entity × 3 views and 100 entities × 3 views at 16 connections.
 * Targets: req/s ≥ 85% of the bare route's and p99 ≤ 1.25× its p99 for 1 entity; req/s ≥ 80% for 100.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { BENCH_VIEWS, featureNames } from '../http-bench-store.ts';
import { CONNECTIONS, type LoadRun, load, medianOf } from '../http-load.ts';
import { startServerChild } from '../http-server-child.ts';
import type { BenchContext, BenchResult, Scenario } from '../scenario.ts';

const SERVERS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'online-http-servers.ts');
const FEATURES = BENCH_VIEWS.flatMap((v) => featureNames(v).map((f) => `${v}:${f}`));

function readBody(entities: number): string {
  return JSON.stringify({
    entities: { driver_id: Array.from({ length: entities }, (_, i) => 1000 + (i % 100)) },
    features: FEATURES,
  });
}

const BASELINE = 'bare Fastify route, plain ioredis HMGETs, same JSON';

export const scenario: Scenario = {
  name: 'online.http',
  description: `POST /get-online-features vs a bare Fastify route (autocannon, ${CONNECTIONS} connections, loopback)`,
  run: (ctx) => measureOnlineHttp(ctx, {}, BASELINE),
};

/**
 * The scenario's measurements, with `env` added to the servers' environment (TROVE_REDIS_CLUSTER
 * for online.http.cluster).
 */
export async function measureOnlineHttp(
  ctx: BenchContext,
  env: Record<string, string>,
  baselineName: string,
): Promise<BenchResult[]> {
  const seconds = ctx.quick ? 2 : 10;
  const servers = await startServerChild(SERVERS, env);
  const run = (port: number, entities: number, s: number) =>
    load({ port, path: '/get-online-features', seconds: s, body: readBody(entities) });
  const { trove, bare } = servers;
  try {
    const results: BenchResult[] = [];
    for (const entities of [1, 100]) {
      // Warm both (JIT, connections, plan cache) before measuring.
      await run(trove, entities, 1);
      await run(bare, entities, 1);
      const troveRuns: LoadRun[] = [];
      const bareRuns: LoadRun[] = [];
      for (let i = 0; i < ctx.repetitions; i++) {
        // Alternate so drift (thermal, Redis) affects both alike.
        const t = await run(trove, entities, seconds);
        const b = await run(bare, entities, seconds);
        troveRuns.push(t);
        bareRuns.push(b);
        ctx.log(
          `${entities} × 3 views, repetition ${i + 1}: trove ${t.rps.toFixed(0)} req/s (p99 ${t.p99.toFixed(2)} ms), ` +
            `bare ${b.rps.toFixed(0)} req/s (p99 ${b.p99.toFixed(2)} ms)`,
        );
      }
      const label = entities === 1 ? '1 entity × 3 views' : `${entities} entities × 3 views`;
      ctx.log(
        `${label}: trove ${medianOf(troveRuns, 'rps').toFixed(0)} req/s, bare ${medianOf(bareRuns, 'rps').toFixed(0)} req/s`,
      );
      const one = entities === 1;
      const of = (name: string, unit: string, key: keyof LoadRun, higher: boolean, target: number | null) =>
        figure({
          name: `${label}, ${name}`,
          value: medianOf(troveRuns, key),
          unit,
          baseline: medianOf(bareRuns, key),
          baseline_name: baselineName,
          higher_is_better: higher,
          target,
        });
      results.push(
        of('req/s', 'req/s', 'rps', true, one ? 0.85 : 0.8),
        of('p50 latency', 'ms', 'p50', false, null),
        of('p99 latency', 'ms', 'p99', false, one ? 1.25 : null),
      );
    }
    return results;
  } finally {
    await servers.stop();
  }
}
