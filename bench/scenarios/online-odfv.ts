/**
 * On-demand features online (SPEC §8): autocannon on loopback, 16 connections, `POST
 * /get-online-features` for 1 driver × the 3 features of the batch view `driver_stats` plus the
 * row-form on-demand feature `fare_ratio:fare_vs_mean` (the request's `fare` over the driver's
 * `fare_mean`), drivers and fares in turn, against the same request without the on-demand
 * feature, on the same Trove server (bench/odfv-http-server.ts, in a child process so the load
 * generator does not share its event loop), runs alternating (paired-load.ts). Before timing, a
 * sample of requests must carry the right ratio and the same stored values as the baseline's.
 * Target: req/s ≥ 0.8× the baseline's.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childCpuMs } from '../child-cpu.ts';
import { CONNECTIONS } from '../http-load.ts';
import { startServerChild } from '../http-server-child.ts';
import { fareMeanOf, ODFV_DRIVERS, ODFV_FEATURE, ODFV_STORED } from '../odfv-online-repo.ts';
import { describeRun, loadSide, type PairedFigures, pairedFigures, pairedLoad } from '../paired-load.ts';
import { type OnlineAnswer, postJson } from '../post-json.ts';
import type { BenchContext, BenchResult, Scenario } from '../scenario.ts';

const SERVERS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'odfv-http-server.ts');
const BASELINE = 'the same request without the on-demand feature, same server';
const ROUTE = '/get-online-features';
const SAMPLE = 20;

/** The request's fare for the n-th request: varies, so the ratio is not the same number each time. */
const fareOf = (n: number): number => 10 + (n % 13) * 1.5;

function readBody(driver: number, fare: number, onDemand: boolean): string {
  return JSON.stringify({
    entities: { driver_id: [driver], fare: [fare] },
    features: onDemand ? [...ODFV_STORED, ODFV_FEATURE] : ODFV_STORED,
  });
}

/** Request bodies naming every driver in turn, each with its own fare. */
function driversInTurn(onDemand: boolean): () => string {
  let next = 0;
  return () => {
    const n = next++;
    return readBody(n % ODFV_DRIVERS, fareOf(n), onDemand);
  };
}

/**
 * For a sample of drivers, the on-demand answer carries `fare / fare_mean` as the transform
 * computes it, and the stored features equal the baseline answer's, value by value.
 */
async function checkValues(port: number): Promise<string> {
  for (let s = 0; s < SAMPLE; s++) {
    const driver = Math.floor((s * ODFV_DRIVERS) / SAMPLE) + 1;
    const fare = fareOf(s);
    const t = (await postJson(port, ROUTE, readBody(driver, fare, true))) as OnlineAnswer;
    const b = (await postJson(port, ROUTE, readBody(driver, fare, false))) as OnlineAnswer;
    const names = t.metadata.feature_names;
    const ratio = names.indexOf('fare_vs_mean');
    if (ratio < 0 || names.length !== b.metadata.feature_names.length + 1)
      throw new Error(
        `feature names: ${JSON.stringify(names)} with the on-demand feature, ${JSON.stringify(b.metadata.feature_names)} without`,
      );
    const expected = fare / fareMeanOf(driver);
    const got = t.results[ratio]!;
    if (got.values[0] !== expected || got.statuses[0] !== 'PRESENT')
      throw new Error(
        `driver ${driver}, fare ${fare}: fare_vs_mean is ${JSON.stringify(got.values[0])} (${got.statuses[0]}), expected ${expected}`,
      );
    b.metadata.feature_names.forEach((name, f) => {
      const [tv, bv] = [t.results[names.indexOf(name)]!, b.results[f]!];
      if (JSON.stringify(tv.values) !== JSON.stringify(bv.values) || tv.statuses[0] !== bv.statuses[0])
        throw new Error(
          `driver ${driver}: ${name} is ${JSON.stringify(tv.values)} with the on-demand feature, ${JSON.stringify(bv.values)} without`,
        );
    });
    if (b.results[b.metadata.feature_names.indexOf('fare_mean')]!.values[0] !== fareMeanOf(driver))
      throw new Error(`driver ${driver}: fare_mean is not the value pushed`);
  }
  return `${SAMPLE} drivers: fare_vs_mean = fare / fare_mean exactly, stored features equal with and without it`;
}

export const scenario: Scenario = {
  name: 'online.odfv',
  description: `POST /get-online-features with a row-form on-demand feature vs the same request without it (autocannon, ${CONNECTIONS} connections, loopback)`,
  async run(ctx: BenchContext): Promise<BenchResult[]> {
    const seconds = ctx.quick ? 2 : 10;
    const servers = await startServerChild(SERVERS);
    try {
      ctx.log(await checkValues(servers.trove));
      // One server answers both sides, loaded one at a time: its CPU time over a run is that side's.
      const cpuMs = childCpuMs(SERVERS);
      const side = (onDemand: boolean) =>
        loadSide({ port: servers.trove, path: ROUTE, body: driversInTurn(onDemand) }, cpuMs);
      const throughput: PairedFigures['throughput'] = {
        unit: 'req/s',
        item: 'request',
        perRequest: 1,
        target: 0.8,
      };
      const runs = await pairedLoad({
        repetitions: ctx.repetitions,
        seconds,
        target: side(true),
        baseline: side(false),
        each: (i, t, b) =>
          ctx.log(
            `repetition ${i}: with on-demand ${describeRun(t, throughput)}, without ${describeRun(b, throughput)}`,
          ),
      });
      return pairedFigures(runs, {
        label: `1 entity × 3 batch features + 1 row-form on-demand feature (${ODFV_DRIVERS} drivers)`,
        baselineName: BASELINE,
        throughput,
        p99Target: null,
      });
    } finally {
      await servers.stop();
    }
  },
};
