/**
 * online.http with `trove serve --workers 2` against `trove serve` (one process), both run as the
 * command runs in production, on the same seeded repo and Redis: autocannon on loopback against
 * `/get-online-features`, 1 entity × 3 views and 100 entities × 3 views, 16 connections, the two
 * servers measured in turn. No target: on this 2-core machine the load generator and Redis share
 * the cores the second worker would use, so the figure is what a second process buys here, not on
 * a machine with cores to spare (docs/benchmarks.md).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import {
  BENCH_VIEWS,
  featureColumns,
  featureNames,
  openBenchStore,
  PUSH_SOURCE,
} from '../http-bench-store.ts';
import { CONNECTIONS, type LoadRun, load, medianOf } from '../http-load.ts';
import type { BenchContext, BenchResult, Scenario } from '../scenario.ts';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'trove-cli-child.ts');
const FEATURES = BENCH_VIEWS.flatMap((v) => featureNames(v).map((f) => `${v}:${f}`));
const DRIVERS = Array.from({ length: 100 }, (_, i) => 1000 + i);

function readBody(entities: number): string {
  return JSON.stringify({
    entities: { driver_id: Array.from({ length: entities }, (_, i) => 1000 + (i % 100)) },
    features: FEATURES,
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Served {
  port: number;
  child: ChildProcess;
}

/** `trove serve --workers N` on a free port, once it answers /health. */
async function serve(repoDir: string, env: NodeJS.ProcessEnv, workers: number): Promise<Served> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      CLI,
      'serve',
      '--repo',
      repoDir,
      '--port',
      String(port),
      '--workers',
      String(workers),
      '--log-level',
      'warn',
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null)
      throw new Error(`trove serve --workers ${workers} exited with ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.ok,
      () => false,
    );
    // With several workers, each must be up: a few answers in a row, on fresh connections.
    if (ok) {
      await sleep(workers > 1 ? 2000 : 0);
      return { port, child };
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`trove serve --workers ${workers} did not answer on port ${port}`);
}

async function stop(served: Served | undefined): Promise<void> {
  if (!served || served.child.exitCode !== null) return;
  served.child.kill('SIGTERM');
  await once(served.child, 'exit');
}

export const scenario: Scenario = {
  name: 'online.http.workers',
  description: `POST /get-online-features: trove serve --workers 2 vs one process (autocannon, ${CONNECTIONS} connections, loopback)`,
  run: async (ctx: BenchContext): Promise<BenchResult[]> => {
    const seconds = ctx.quick ? 2 : 10;
    const bench = await openBenchStore('bench_http_workers');
    let one: Served | undefined;
    let two: Served | undefined;
    try {
      const df: Record<string, unknown[]> = {
        driver_id: DRIVERS,
        event_timestamp: DRIVERS.map(() => new Date().toISOString()),
        ...featureColumns(DRIVERS),
      };
      await bench.store.push({ pushSourceName: PUSH_SOURCE, df, to: 'online' });
      const config = bench.store.config;
      const env = { TROVE_REDIS_KEY_PREFIX: config.onlineStore.keyPrefix, TROVE_API_KEYS: '' };
      one = await serve(config.repoDir, env, 1);
      two = await serve(config.repoDir, env, 2);
      const run = (port: number, entities: number, s: number) =>
        load({ port, path: '/get-online-features', seconds: s, body: readBody(entities) });
      const results: BenchResult[] = [];
      for (const entities of [1, 100]) {
        await run(one.port, entities, 1);
        await run(two.port, entities, 1);
        const oneRuns: LoadRun[] = [];
        const twoRuns: LoadRun[] = [];
        for (let i = 0; i < ctx.repetitions; i++) {
          const t = await run(two.port, entities, seconds);
          const o = await run(one.port, entities, seconds);
          twoRuns.push(t);
          oneRuns.push(o);
          ctx.log(
            `${entities} × 3 views, repetition ${i + 1}: 2 workers ${t.rps.toFixed(0)} req/s (p99 ${t.p99.toFixed(2)} ms), ` +
              `1 process ${o.rps.toFixed(0)} req/s (p99 ${o.p99.toFixed(2)} ms)`,
          );
        }
        const label = entities === 1 ? '1 entity × 3 views' : `${entities} entities × 3 views`;
        const of = (name: string, unit: string, key: keyof LoadRun, higher: boolean) =>
          figure({
            name: `${label}, 2 workers, ${name}`,
            value: medianOf(twoRuns, key),
            unit,
            baseline: medianOf(oneRuns, key),
            baseline_name: 'trove serve, one process',
            higher_is_better: higher,
            target: null,
          });
        results.push(of('req/s', 'req/s', 'rps', true), of('p99 latency', 'ms', 'p99', false));
      }
      return results;
    } finally {
      await stop(two);
      await stop(one);
      await bench.close();
    }
  },
};
