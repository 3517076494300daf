/**
 * Online features of an aggregation view over HTTP: autocannon on loopback, 16 connections,
 * `POST /get-online-features` for 1 driver × the 13 features of `trip_aggs` (count, fare sum and
 * mean over 1h, 1d, 7d, 30d, city last over 30d), drivers in turn over all of them, against a bare
 * Fastify route reading the same 13 values already computed from one Redis hash per driver
 * (bench/agg-http-servers.ts, in a child process so the load generator does not share its event
 * loop). Before timing, both answer a sample of drivers and must agree value by value, so Trove's
 * figure is of correct answers. Targets: req/s ≥ 0.7× the bare route's, p99 ≤ 1.5× its p99.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGG_FEATURES, AGG_STEP_MS, announceAggBenchSize } from '../agg-bench-store.ts';
import { childCpuMs } from '../child-cpu.ts';
import { CONNECTIONS } from '../http-load.ts';
import { startServerChild } from '../http-server-child.ts';
import { describeRun, loadSide, type PairedFigures, pairedFigures, pairedLoad } from '../paired-load.ts';
import { type OnlineAnswer, postJson } from '../post-json.ts';
import type { BenchContext, BenchResult, Scenario } from '../scenario.ts';

const SERVERS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'agg-http-servers.ts');
const BASELINE = 'bare Fastify route, 13 precomputed values by one ioredis HMGET, same JSON';
const ROUTE = '/get-online-features';
const SAMPLE = 20;

function readBody(driver: number): string {
  return JSON.stringify({ entities: { driver_id: [driver] }, features: AGG_FEATURES });
}

/** Request bodies naming every driver in turn, one per request. */
function driversInTurn(drivers: number): () => string {
  const [before, after] = readBody(-1).split('-1') as [string, string];
  let next = 0;
  return () => `${before}${next++ % drivers}${after}`;
}

/** Equal as §7 promises training and serving are: fare sums and means within a relative 1e-9, the rest exactly. */
function agrees(feature: string, a: unknown, b: unknown): boolean {
  if (feature.startsWith('fare_') && typeof a === 'number' && typeof b === 'number')
    return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b));
  return a === b;
}

/**
 * Trove's answers for a sample of drivers equal the bare route's, computed offline at the time its
 * features carry; both are read within the same 5-minute step of it, so every window starts alike.
 */
async function checkSameValues(trove: number, bare: number, drivers: number): Promise<string> {
  let events = 0;
  let computedAt = '';
  for (let s = 0; s < SAMPLE; s++) {
    const body = readBody(Math.floor((s * drivers) / SAMPLE));
    const t = (await postJson(trove, ROUTE, body)) as OnlineAnswer;
    const b = (await postJson(bare, ROUTE, body)) as OnlineAnswer;
    computedAt = b.results[1]!.event_timestamps[0]!;
    const names = b.metadata.feature_names;
    if (
      JSON.stringify(t.metadata.feature_names) !== JSON.stringify(names) ||
      t.results.length !== names.length
    )
      throw new Error(
        `feature names differ: trove ${JSON.stringify(t.metadata)}, bare ${JSON.stringify(b.metadata)}`,
      );
    names.forEach((name, f) => {
      const [tv, bv] = [t.results[f]!, b.results[f]!];
      if (!agrees(name, tv.values[0], bv.values[0]) || tv.statuses[0] !== bv.statuses[0])
        throw new Error(
          `${body}: ${name} is ${JSON.stringify(tv.values[0])} (${tv.statuses[0]}) from trove, ${JSON.stringify(bv.values[0])} (${bv.statuses[0]}) from the values computed at ${computedAt}`,
        );
    });
    events += Number(t.results[names.indexOf('count_30d')]!.values[0]);
  }
  const step = (ms: number) => Math.floor(ms / AGG_STEP_MS);
  if (step(Date.now()) !== step(Date.parse(computedAt)))
    throw new Error(
      `the check ran past the 5-minute step of ${computedAt}, when its values were computed; run again`,
    );
  if (events === 0)
    throw new Error(`no sampled driver has an event in 30 days: the data is not what it should be`);
  return `${SAMPLE} drivers agree on all ${AGG_FEATURES.length} features (${events} events in their 30d windows)`;
}

export const scenario: Scenario = {
  name: 'online.agg',
  description: `POST /get-online-features of an aggregation view (13 features) vs a bare Fastify route over precomputed values (autocannon, ${CONNECTIONS} connections, loopback)`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const size = announceAggBenchSize(ctx.quick);
    const seconds = ctx.quick ? 2 : 10;
    const servers = await startServerChild(SERVERS);
    try {
      ctx.log(await checkSameValues(servers.trove, servers.bare, size.drivers));
      // Both servers share the child process and one side is loaded at a time, so the child's CPU
      // time over a run is that side's.
      const cpuMs = childCpuMs(SERVERS);
      const side = (port: number) =>
        loadSide({ port, path: ROUTE, body: driversInTurn(size.drivers) }, cpuMs);
      const throughput: PairedFigures['throughput'] = {
        unit: 'req/s',
        item: 'request',
        perRequest: 1,
        target: 0.7,
      };
      const runs = await pairedLoad({
        repetitions: ctx.repetitions,
        seconds,
        target: side(servers.trove),
        baseline: side(servers.bare),
        each: (i, t, b) =>
          ctx.log(`repetition ${i}: trove ${describeRun(t, throughput)}, bare ${describeRun(b, throughput)}`),
      });
      return pairedFigures(runs, {
        label: `1 entity × 13 aggregation features (${size.drivers / 1000}k drivers, ${size.events / 1_000_000}M events)`,
        baselineName: BASELINE,
        throughput,
        p99Target: 1.5,
      });
    } finally {
      await servers.stop();
    }
  },
};
