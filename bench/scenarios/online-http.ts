/**
 * Online features over HTTP: autocannon on loopback against `/get-online-features` of Trove's
 * server and of a bare Fastify route issuing the same Redis reads with plain ioredis and returning
 * the same JSON (bench/online-http-servers.ts, in a child process so the load generator does not
 * share its event loop), for 1 entity × 3 views and 100 entities × 3 views at 16 connections.
 * Targets (1 entity): req/s ≥ 70% of the bare route's, p99 ≤ 1.5× its p99.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { figure } from '../figure.ts';
import { median } from '../measure.ts';
import type { BenchContext, BenchResult, Scenario } from '../scenario.ts';

const SERVERS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'online-http-servers.ts');
const VIEWS = ['v1', 'v2', 'v3'];
const FEATURES = VIEWS.flatMap((v) => [`${v}:${v}_a`, `${v}:${v}_b`, `${v}:${v}_c`, `${v}:${v}_d`]);
const CONNECTIONS = 16;

interface Run {
  rps: number;
  p50: number;
  p99: number;
}

async function startServers(): Promise<{ child: ChildProcess; trove: number; bare: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVERS], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`benchmark servers exited with ${code}`)));
  });
  const ports = JSON.parse(first) as { trove: number; bare: number };
  return { child, ...ports };
}

async function load(port: number, entities: number, seconds: number): Promise<Run> {
  const body = JSON.stringify({
    entities: { driver_id: Array.from({ length: entities }, (_, i) => 1000 + (i % 100)) },
    features: FEATURES,
  });
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/get-online-features`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`port ${port}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

function medianOf(runs: readonly Run[], key: keyof Run): number {
  return median(runs.map((r) => r[key]));
}

const BASELINE = 'bare Fastify route, plain ioredis HMGETs, same JSON';

export const scenario: Scenario = {
  name: 'online.http',
  description: 'POST /get-online-features vs a bare Fastify route (autocannon, 16 connections, loopback)',
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const seconds = ctx.quick ? 3 : 10;
    const { child, trove, bare } = await startServers();
    try {
      const results: BenchResult[] = [];
      for (const entities of [1, 100]) {
        // Warm both (JIT, connections, plan cache) before measuring.
        await load(trove, entities, 1);
        await load(bare, entities, 1);
        const troveRuns: Run[] = [];
        const bareRuns: Run[] = [];
        for (let i = 0; i < ctx.repetitions; i++) {
          // Alternate so drift (thermal, Redis) affects both alike.
          troveRuns.push(await load(trove, entities, seconds));
          bareRuns.push(await load(bare, entities, seconds));
        }
        const label = entities === 1 ? '1 entity × 3 views' : `${entities} entities × 3 views`;
        ctx.log(
          `${label}: trove ${medianOf(troveRuns, 'rps').toFixed(0)} req/s, bare ${medianOf(bareRuns, 'rps').toFixed(0)} req/s`,
        );
        const one = entities === 1;
        const of = (name: string, unit: string, key: keyof Run, higher: boolean, target: number | null) =>
          figure({
            name: `${label}, ${name}`,
            value: medianOf(troveRuns, key),
            unit,
            baseline: medianOf(bareRuns, key),
            baseline_name: BASELINE,
            higher_is_better: higher,
            target,
          });
        results.push(
          of('req/s', 'req/s', 'rps', true, one ? 0.7 : null),
          of('p50 latency', 'ms', 'p50', false, null),
          of('p99 latency', 'ms', 'p99', false, one ? 1.5 : null),
        );
      }
      return results;
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  },
};
