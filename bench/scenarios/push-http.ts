/**
 * Pushing rows over HTTP: autocannon on loopback, 16 connections, `POST /push` of 100-row batches
 * (`to: online`, a push source read by 3 views × 4 features) against Trove's server and against a
 * bare Fastify route that writes the same rows with plain pipelined HSETs and answers the same JSON
 * (bench/push-http-servers.ts, in a child process so the load generator does not share its event
 * loop). Every request carries a newer event time than the last one for its drivers, so each of
 * Trove's rows passes the newest-wins check and is written, as in a live feed. Figures: rows/s and
 * latency, reported without a target.
 */

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { featureColumns, PUSH_SOURCE } from '../http-bench-store.ts';
import { CONNECTIONS, type LoadRun, load, medianOf } from '../http-load.ts';
import { startServerChild } from '../http-server-child.ts';
import { postJson } from '../post-json.ts';
import type { BenchContext, BenchResult, Scenario } from '../scenario.ts';

const SERVERS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'push-http-servers.ts');
const ROWS = 100;
/** Batches of distinct drivers sent in turn: 1000 drivers in all. */
const BLOCKS = 10;
const TIME = '@event-time@';
const BASELINE = 'bare Fastify route, plain ioredis pipelined HSETs, same JSON';

/**
 * The request bodies, each a new batch: drivers in turn from BLOCKS blocks, every row stamped with
 * an event time one millisecond after the previous batch's (starting a day back, so never ahead of
 * the clock). The JSON is made once per block; a batch only joins its pieces around the time.
 */
interface Batch {
  body: string;
  time: string;
  /** The batch's first driver. */
  driver: number;
}

function batches(): () => Batch {
  const pieces = Array.from({ length: BLOCKS }, (_, b) => {
    const drivers = Array.from({ length: ROWS }, (_, i) => 1000 + b * ROWS + i);
    const df = { driver_id: drivers, event_timestamp: drivers.map(() => TIME), ...featureColumns(drivers) };
    return JSON.stringify({ push_source_name: PUSH_SOURCE, df, to: 'online' }).split(TIME);
  });
  const start = Date.now() - 86_400_000;
  let sent = 0;
  return () => {
    const n = sent++;
    const time = new Date(start + n).toISOString();
    return { body: pieces[n % BLOCKS]!.join(time), time, driver: 1000 + (n % BLOCKS) * ROWS };
  };
}

/**
 * Before anything is timed: both servers take one batch and answer the same JSON, and Trove's
 * online store then serves that batch's values at its event time (the figure counts real writes).
 */
async function checkBothWrite(trove: number, bare: number, { body, time, driver }: Batch): Promise<void> {
  // Trove also answers the push's id, which the bare route has none of.
  const { push_id: pushId, ...troveFields } = (await postJson(trove, '/push', body)) as Record<
    string,
    unknown
  >;
  const troveAnswer = JSON.stringify(troveFields);
  const bareAnswer = JSON.stringify(await postJson(bare, '/push', body));
  if (typeof pushId !== 'string') throw new Error(`Trove's push answer has no push_id: ${troveAnswer}`);
  const expected = JSON.stringify({ push_source_name: PUSH_SOURCE, to: 'online', rows: ROWS });
  if (troveAnswer !== expected || bareAnswer !== expected)
    throw new Error(`push answers differ: trove ${troveAnswer}, bare ${bareAnswer}, expected ${expected}`);
  const read = (await postJson(
    trove,
    '/get-online-features',
    JSON.stringify({ entities: { driver_id: [driver] }, features: ['v3:v3_c'] }),
  )) as { results: { values: unknown[]; statuses: string[]; event_timestamps: string[] }[] };
  const column = read.results[1];
  const stored = column?.event_timestamps[0];
  if (
    column?.statuses[0] !== 'PRESENT' ||
    column.values[0] !== `name-${driver}` ||
    stored === undefined ||
    Math.abs(Date.parse(stored) - Date.parse(time)) >= 1000
  )
    throw new Error(`driver ${driver} after a push of event time ${time}: read ${JSON.stringify(column)}`);
}

export const scenario: Scenario = {
  name: 'push.http',
  description: `POST /push of ${ROWS}-row batches vs a bare Fastify route with pipelined HSETs (autocannon, ${CONNECTIONS} connections, loopback)`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const seconds = ctx.quick ? 2 : 10;
    const servers = await startServerChild(SERVERS);
    const { trove, bare } = servers;
    const next = batches();
    const run = (port: number, s: number) =>
      load({ port, path: '/push', seconds: s, body: () => next().body });
    try {
      await checkBothWrite(trove, bare, next());
      // Warm both (JIT, connections, registry cache) before measuring.
      await run(trove, 1);
      await run(bare, 1);
      const troveRuns: LoadRun[] = [];
      const bareRuns: LoadRun[] = [];
      for (let i = 0; i < ctx.repetitions; i++) {
        // Alternate so drift (other load, Redis) affects both alike.
        troveRuns.push(await run(trove, seconds));
        bareRuns.push(await run(bare, seconds));
        ctx.log(
          `repetition ${i + 1}: trove ${Math.round(troveRuns[i]!.rps * ROWS)} rows/s (p99 ${troveRuns[i]!.p99.toFixed(1)} ms), ` +
            `bare ${Math.round(bareRuns[i]!.rps * ROWS)} rows/s (p99 ${bareRuns[i]!.p99.toFixed(1)} ms)`,
        );
      }
      const label = `${ROWS}-row batches × 3 views`;
      const of = (name: string, unit: string, key: keyof LoadRun, scale: number, higher: boolean) =>
        figure({
          name: `${label}, ${name}`,
          value: medianOf(troveRuns, key) * scale,
          unit,
          baseline: medianOf(bareRuns, key) * scale,
          baseline_name: BASELINE,
          higher_is_better: higher,
          target: null,
        });
      return [
        of('rows/s', 'rows/s', 'rps', ROWS, true),
        of('p50 latency', 'ms', 'p50', 1, false),
        of('p99 latency', 'ms', 'p99', 1, false),
      ];
    } finally {
      await servers.stop();
    }
  },
};
