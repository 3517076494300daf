import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { measureInChild, measurePair } from '../measure.ts';
import type { BenchResult, Scenario } from '../scenario.ts';

const BASELINE = 'hand-written DuckDB ASOF query';
/** Time within 1.1× of the hand-written query. */
const TIME_TARGET = 1.1;
const RSS_BUDGET_MIB = 1536;
const TASKS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tasks', 'offline-pit-tasks.ts');

/**
 * Training datasets: entity rows × 3 views (one with a composite key) through Trove's point-in-time
 * join, against a hand-written DuckDB ASOF JOIN over the same Parquet files. Also the scaling of
 * both with the number of feature rows.
 */
export const scenario: Scenario = {
  name: 'offline.pit',
  description: 'point-in-time join: Trove vs a hand-written DuckDB ASOF query over the same files',
  async run(ctx) {
    // Quick sizes stay large enough that a join's fixed cost (opening DuckDB, checking the entity
    // table) does not decide the ratio.
    const main = ctx.quick
      ? { entities: 100_000, features: 1_000_000 }
      : { entities: 1_000_000, features: 10_000_000 };
    const series = ctx.quick ? [100_000, 1_000_000] : [100_000, 1_000_000, 10_000_000];
    const seriesEntities = 100_000;
    await mkdir(ctx.workDir, { recursive: true });
    // v2: stores computed before partitions carried the unique-key-times marker would make Trove
    // take the tie-break path; a new name regenerates them instead of reusing them silently.
    const storeDir = (rows: number) => path.join(ctx.workDir, `store-v2-${rows}`);
    const entityFile = (rows: number, featureRows: number) =>
      path.join(ctx.workDir, `entities-${rows}-${featureRows}.parquet`);
    const out = path.join(ctx.workDir, 'out.parquet');
    const results: BenchResult[] = [];

    /** `troveDir`: the store Trove reads, when not the baseline's (same rows, see unmarkedStore). */
    // A quick join takes about 0.4 s, and single runs on a shared machine vary by ±20%: the quick
    // headline pair takes more repetitions so its medians settle.
    const headlineReps = ctx.quick ? Math.max(ctx.repetitions, 7) : ctx.repetitions;
    const measure = async (
      featureRows: number,
      entityRows: number,
      troveDir?: string,
      reps = ctx.repetitions,
    ) => {
      const dir = storeDir(featureRows);
      ctx.log(
        `store of ${featureRows} feature rows: ${(await measureInChild(TASKS, 'generateStore', { dir, featureRows })).result}`,
      );
      const entities = entityFile(entityRows, featureRows);
      await measureInChild(TASKS, 'generateEntities', { file: entities, rows: entityRows, featureRows });
      const args = { dir, entities, out };
      const m = await measurePair(
        reps,
        () => measureInChild(TASKS, 'trovePit', { ...args, dir: troveDir ?? dir }),
        () => measureInChild(TASKS, 'asofBaseline', args),
      );
      const runs = (ms: readonly number[]) => ms.map((v) => v.toFixed(0)).join(', ');
      ctx.log(
        `${entityRows} × ${featureRows}${troveDir ? ' (tie-break path)' : ''}: trove ${m.target.ms.toFixed(0)} ms (runs ${runs(m.target.allMs)}; ` +
          `CPU ${m.target.cpuMs.toFixed(0)} ms) / ${m.target.maxRssMb.toFixed(0)} MiB, ` +
          `asof ${m.baseline.ms.toFixed(0)} ms (runs ${runs(m.baseline.allMs)}; CPU ${m.baseline.cpuMs.toFixed(0)} ms) / ${m.baseline.maxRssMb.toFixed(0)} MiB`,
      );
      return m;
    };

    const m = await measure(main.features, main.entities, undefined, headlineReps);
    const label = `${main.entities / 1000}k entity rows × 3 views × ${main.features / 1_000_000}M feature rows`;
    const vsBaseline = (name: string, unit: string, value: number, baseline: number, target: number | null) =>
      figure({ name, value, unit, baseline, baseline_name: BASELINE, higher_is_better: false, target });
    results.push(
      vsBaseline(`time, ${label}`, 'ms', m.target.ms, m.baseline.ms, TIME_TARGET),
      vsBaseline(`CPU time, ${label}`, 'ms', m.target.cpuMs, m.baseline.cpuMs, null),
      vsBaseline(`peak RSS, ${label}`, 'MiB', m.target.maxRssMb, m.baseline.maxRssMb, null),
      figure({
        name: `peak RSS vs ${RSS_BUDGET_MIB} MiB budget, ${label}`,
        value: m.target.maxRssMb,
        unit: 'MiB',
        baseline: RSS_BUDGET_MIB,
        baseline_name: 'budget',
        higher_is_better: false,
        target: 1,
      }),
    );
    // The same join where no partition is known free of ties: the 128-bit (event, created) key.
    const unmarked = `${storeDir(main.features)}-unmarked`;
    await measureInChild(TASKS, 'unmarkedStore', { from: storeDir(main.features), to: unmarked });
    const tie = await measure(main.features, main.entities, unmarked);
    results.push(
      vsBaseline(`time, ${label}, created-time tie-break path`, 'ms', tie.target.ms, tie.baseline.ms, null),
      vsBaseline(
        `CPU time, ${label}, created-time tie-break path`,
        'ms',
        tie.target.cpuMs,
        tie.baseline.cpuMs,
        null,
      ),
    );
    for (const featureRows of series) {
      const s =
        featureRows === main.features && seriesEntities === main.entities
          ? m
          : await measure(featureRows, seriesEntities);
      results.push(
        vsBaseline(
          `scaling series, time, ${seriesEntities / 1000}k entity rows × ${featureRows / 1000}k feature rows`,
          'ms',
          s.target.ms,
          s.baseline.ms,
          null,
        ),
      );
    }
    return results;
  },
};
