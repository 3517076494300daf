import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { measureInChild, measurePair } from '../measure.ts';
import type { BenchResult, Scenario } from '../scenario.ts';

const BASELINE = 'hand-written DuckDB range join';
const TIME_TARGET = 1.0;
const RSS_BUDGET_MIB = 2048;
const TASKS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tasks', 'offline-agg-tasks.ts');

/**
 * Training datasets over an aggregation view (SPEC §7): entity rows × one view of 13 windowed
 * features (count, sum, mean over 1h, 1d, 7d, 30d, and last over 30d) through Trove's
 * `writeHistoricalFile`, against the fastest exact query found by hand in DuckDB over the view's
 * Parquet partitions (`rangeJoinBaseline` in tasks/offline-agg-tasks.ts): a range join of each
 * entity row to its driver's events since its 30d window start, grouped by row number, one
 * conditional count and sum per window at its §7 granularity-aligned start `ceil((t − w) / g) · g`,
 * each mean their quotient, and `last` as
 * the greatest per-driver rank in the window with its city looked up afterwards. The outputs are
 * compared value by value and the scenario fails if they differ. Trove reads the event index its
 * compute wrote (docs/aggregations.md), the baseline the partitions: compute is not timed, and the
 * store is computed again when it has no index.
 */
export const scenario: Scenario = {
  name: 'offline.agg',
  description:
    "aggregation view in a training dataset: Trove (over the event index compute wrote) vs a hand-written DuckDB range join over the view's partitions",
  async run(ctx) {
    const size = ctx.quick
      ? { entityRows: 100_000, events: 1_000_000 }
      : { entityRows: 1_000_000, events: 10_000_000 };
    await mkdir(ctx.workDir, { recursive: true });
    const dir = path.join(ctx.workDir, `store-${size.events}`);
    const entities = path.join(ctx.workDir, `entities-${size.entityRows}-${size.events}.parquet`);
    // Separate outputs, so the last repetition of each can be compared.
    const troveOut = path.join(ctx.workDir, 'out-trove.parquet');
    const baselineOut = path.join(ctx.workDir, 'out-baseline.parquet');
    ctx.log(
      `store of ${size.events} events: ${(await measureInChild(TASKS, 'generateStore', { dir, events: size.events })).result}`,
    );
    await measureInChild(TASKS, 'generateEntities', {
      file: entities,
      rows: size.entityRows,
      events: size.events,
    });

    // Quick runs of about a second vary by ±20% on a shared machine: more repetitions settle the medians.
    const reps = ctx.quick ? Math.max(ctx.repetitions, 5) : ctx.repetitions;
    const m = await measurePair(
      reps,
      () => measureInChild(TASKS, 'troveAgg', { dir, entities, out: troveOut }),
      () => measureInChild(TASKS, 'rangeJoinBaseline', { dir, entities, out: baselineOut }),
    );
    const runs = (ms: readonly number[]) => ms.map((v) => v.toFixed(0)).join(', ');
    ctx.log(
      `trove ${m.target.ms.toFixed(0)} ms (runs ${runs(m.target.allMs)}; CPU ${m.target.cpuMs.toFixed(0)} ms) / ${m.target.maxRssMb.toFixed(0)} MiB, ` +
        `range join ${m.baseline.ms.toFixed(0)} ms (runs ${runs(m.baseline.allMs)}; CPU ${m.baseline.cpuMs.toFixed(0)} ms) / ${m.baseline.maxRssMb.toFixed(0)} MiB`,
    );

    const check = (await measureInChild(TASKS, 'compareOutputs', { trove: troveOut, baseline: baselineOut }))
      .result as { troveRows: number; baselineRows: number; mismatches: Record<string, number> };
    if (
      check.troveRows !== size.entityRows ||
      check.baselineRows !== size.entityRows ||
      Object.keys(check.mismatches).length > 0
    )
      throw new Error(
        `Trove's output differs from the baseline's: ${check.troveRows} vs ${check.baselineRows} rows (expected ${size.entityRows}); differing values per column: ${JSON.stringify(check.mismatches)}`,
      );
    ctx.log(`outputs agree: ${check.troveRows} rows, counts and last exactly, sums and means within 1e-9`);

    const label = `${size.entityRows / 1000}k entity rows × 13 aggregation features × ${size.events / 1_000_000}M events`;
    const vsBaseline = (name: string, unit: string, value: number, baseline: number, target: number | null) =>
      figure({ name, value, unit, baseline, baseline_name: BASELINE, higher_is_better: false, target });
    return [
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
    ] satisfies BenchResult[];
  },
};
