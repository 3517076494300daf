/**
 * Pushing events into an aggregation view over HTTP: autocannon on loopback, 16 connections,
 * `POST /push` of 100-event batches (`to: online`) to `trips_push`, the push source feeding
 * `trip_aggs` (13 features; bench/agg-http-servers.ts, its state materialized from the trips
 * Parquet first), against what push.http measures in the same run: Trove's `/push` of 100-row
 * batches to a plain push source read by 3 views × 4 features (bench/push-http-servers.ts, the
 * same batches). Events are of every driver in turn, stamped with the wall clock, as a live feed.
 * Before timing, a pushed event must show in the view's counts. Target: rows/s ≥ 0.5× push.http's.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGG_PUSH_SOURCE, AGG_STEP_MS, AGG_VIEW, announceAggBenchSize } from '../agg-bench-store.ts';
import { childCpuMs } from '../child-cpu.ts';
import { featureColumns, PUSH_SOURCE } from '../http-bench-store.ts';
import { CONNECTIONS } from '../http-load.ts';
import { startServerChild } from '../http-server-child.ts';
import { describeRun, loadSide, type PairedFigures, pairedFigures, pairedLoad } from '../paired-load.ts';
import { type OnlineAnswer, postJson } from '../post-json.ts';
import { type PushBatch, pushBatches } from '../push-batches.ts';
import type { BenchContext, BenchResult, Scenario } from '../scenario.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const AGG_SERVERS = path.join(here, '..', 'agg-http-servers.ts');
const PLAIN_SERVERS = path.join(here, '..', 'push-http-servers.ts');
const ROWS = 100;
const BASELINE = 'push.http: Trove /push of 100-row batches to a plain source of 3 views × 4 features';
const COUNTS = ['count_1h', 'count_30d'];

/** Blocks of ROWS drivers covering all of them, each event a fare and a city. */
function aggBatches(drivers: number): () => PushBatch {
  const blocks = Array.from({ length: Math.ceil(drivers / ROWS) }, (_, b) => {
    const ids = Array.from({ length: ROWS }, (_, i) => (b * ROWS + i) % drivers);
    return {
      driver_id: ids,
      fare: ids.map((d) => ((d * 37) % 10_000) / 100),
      city: ids.map((d) => `city_${d % 50}`),
    };
  });
  return pushBatches(AGG_PUSH_SOURCE, blocks, () => new Date().toISOString());
}

/**
 * push.http's batches: 10 blocks of 100 drivers from 1000, each batch a millisecond after the one
 * before from a day back, so every row is newer than the stored one and is written.
 */
function plainBatches(): () => PushBatch {
  const blocks = Array.from({ length: 10 }, (_, b) => {
    const ids = Array.from({ length: ROWS }, (_, i) => 1000 + b * ROWS + i);
    return { driver_id: ids, ...featureColumns(ids) };
  });
  const start = Date.now() - 86_400_000;
  return pushBatches(PUSH_SOURCE, blocks, (n) => new Date(start + n).toISOString());
}

/** Pushes one batch; the answer must count its rows (fields beyond these, such as its push id, may vary). */
async function push(port: number, batch: PushBatch, source: string): Promise<void> {
  const answer = (await postJson(port, '/push', batch.body)) as Record<string, unknown>;
  const { push_source_name, to, rows } = answer;
  if (push_source_name !== source || to !== 'online' || rows !== ROWS)
    throw new Error(`push to ${source} answered ${JSON.stringify(answer)}, expected ${ROWS} rows to online`);
}

async function counts(port: number, driver: number): Promise<number[]> {
  const body = JSON.stringify({
    entities: { driver_id: [driver] },
    features: COUNTS.map((c) => `${AGG_VIEW}:${c}`),
  });
  const answer = (await postJson(port, '/get-online-features', body)) as OnlineAnswer;
  return COUNTS.map((_, i) => Number(answer.results[i + 1]!.values[0]));
}

/**
 * One batch pushed to the view adds one event to each of its drivers' 1h and 30d counts, read
 * before and after within one 5-minute step (so no window start moves between the reads).
 */
async function checkPushCounts(trove: number, next: () => PushBatch, drivers: number): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const step = Math.floor(Date.now() / AGG_STEP_MS);
    const batch = next();
    const driver = (batch.block * ROWS) % drivers;
    const before = await counts(trove, driver);
    await push(trove, batch, AGG_PUSH_SOURCE);
    const after = await counts(trove, driver);
    if (Math.floor(Date.now() / AGG_STEP_MS) !== step) continue;
    if (after.some((c, i) => c !== before[i]! + 1))
      throw new Error(
        `driver ${driver}: ${COUNTS.join(', ')} were ${before.join(', ')} before a push of one event at ${batch.time}, ${after.join(', ')} after`,
      );
    return `a pushed event counts: driver ${driver}'s ${COUNTS.join(', ')} went from ${before.join(', ')} to ${after.join(', ')}`;
  }
  throw new Error('three checks of a push each ran past a 5-minute step; run again');
}

export const scenario: Scenario = {
  name: 'push.agg',
  description: `POST /push of ${ROWS}-event batches into an aggregation view vs push.http's plain view (autocannon, ${CONNECTIONS} connections, loopback)`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const size = announceAggBenchSize(ctx.quick);
    const seconds = ctx.quick ? 2 : 10;
    const agg = await startServerChild(AGG_SERVERS);
    try {
      const plain = await startServerChild(PLAIN_SERVERS);
      try {
        const nextAgg = aggBatches(size.drivers);
        const nextPlain = plainBatches();
        ctx.log(await checkPushCounts(agg.trove, nextAgg, size.drivers));
        await push(plain.trove, nextPlain(), PUSH_SOURCE);
        // Each side's servers run in a child of their own, idle while the other side is loaded.
        const side = (port: number, next: () => PushBatch, script: string) =>
          loadSide({ port, path: '/push', body: () => next().body }, childCpuMs(script));
        const throughput: PairedFigures['throughput'] = {
          unit: 'rows/s',
          item: 'row',
          perRequest: ROWS,
          target: 0.5,
        };
        const runs = await pairedLoad({
          repetitions: ctx.repetitions,
          seconds,
          target: side(agg.trove, nextAgg, AGG_SERVERS),
          baseline: side(plain.trove, nextPlain, PLAIN_SERVERS),
          each: (i, t, b) =>
            ctx.log(
              `repetition ${i}: aggregation view ${describeRun(t, throughput)}, plain views ${describeRun(b, throughput)}`,
            ),
        });
        return pairedFigures(runs, {
          label: `${ROWS}-event batches × 13 aggregation features (${size.drivers / 1000}k drivers)`,
          baselineName: BASELINE,
          throughput,
          p99Target: null,
        });
      } finally {
        await plain.stop();
      }
    } finally {
      await agg.stop();
    }
  },
};
