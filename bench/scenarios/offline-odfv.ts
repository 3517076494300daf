/**
 * On-demand features in training datasets (SPEC §8): entity rows (with the request field `fare`)
 * × the 3 features of the batch view `driver_stats` plus the row-form on-demand feature
 * `fare_ratio:fare_vs_mean` (`fare / fare_mean`), through `getHistoricalFeatures` to an in-memory
 * Arrow table, against the same dataset without the on-demand feature; the same feature in column
 * form (`fare_ratio_cols`) is reported beside it without a target. Each run is a fresh process,
 * the three alternating. Before timing, every row of both forms must hold `fare / fare_mean` and
 * the stored columns of the dataset without it (tasks/offline-odfv-tasks.ts).
 * Target: time ≤ 1.3× the baseline's.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { type Measurement, measureInChild, median } from '../measure.ts';
import type { BenchResult, Scenario } from '../scenario.ts';
import type { OdfvVariant } from '../tasks/offline-odfv-tasks.ts';

const BASELINE = 'the same dataset without the on-demand feature';
const TIME_TARGET = 1.3;
const TASKS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tasks', 'offline-odfv-tasks.ts');

export const scenario: Scenario = {
  name: 'offline.odfv',
  description:
    'on-demand feature (row and column form) in a training dataset to an Arrow table vs the same dataset without it',
  async run(ctx) {
    const size = ctx.quick
      ? { entityRows: 200_000, featureRows: 1_000_000 }
      : { entityRows: 1_000_000, featureRows: 2_000_000 };
    await mkdir(ctx.workDir, { recursive: true });
    const dir = path.join(ctx.workDir, `store-${size.featureRows}`);
    const entities = path.join(ctx.workDir, `entities-${size.entityRows}-${size.featureRows}.parquet`);
    ctx.log(
      `store of ${size.featureRows} feature rows: ${(await measureInChild(TASKS, 'generateStore', { dir, featureRows: size.featureRows })).result}`,
    );
    await measureInChild(TASKS, 'generateEntities', {
      file: entities,
      rows: size.entityRows,
      featureRows: size.featureRows,
    });
    ctx.log(
      String((await measureInChild(TASKS, 'checkDatasets', { dir, entities, rows: size.entityRows })).result),
    );

    // Runs of a second or two vary by ±20% on a shared machine: quick runs take more repetitions.
    const reps = ctx.quick ? Math.max(ctx.repetitions, 5) : ctx.repetitions;
    const runs: Record<OdfvVariant, Measurement[]> = { stored: [], row: [], columns: [] };
    const order: OdfvVariant[] = ['row', 'stored', 'columns'];
    for (let i = 0; i < reps; i++) {
      // Alternating, so drift in the machine's state falls on all three alike.
      for (const variant of order) {
        const m = await measureInChild(TASKS, 'troveDataset', { dir, entities, variant });
        if (m.result !== size.entityRows)
          throw new Error(`${variant}: ${m.result} rows, expected ${size.entityRows}`);
        runs[variant].push(m);
      }
      ctx.log(
        `repetition ${i + 1}: ${order.map((v) => `${v} ${runs[v][i]!.ms.toFixed(0)} ms (CPU ${runs[v][i]!.cpuMs.toFixed(0)} ms, ${runs[v][i]!.maxRssMb.toFixed(0)} MiB)`).join(', ')}`,
      );
    }
    const of = (variant: OdfvVariant, key: 'ms' | 'cpuMs' | 'maxRssMb') =>
      median(runs[variant].map((m) => m[key]));
    const label = `${size.entityRows / 1000}k entity rows × 3 batch features × ${size.featureRows / 1_000_000}M feature rows, Arrow table`;
    const vsBaseline = (
      name: string,
      variant: OdfvVariant,
      key: 'ms' | 'cpuMs' | 'maxRssMb',
      unit: string,
      target: number | null,
    ) =>
      figure({
        name: `${name}, ${label}`,
        value: of(variant, key),
        unit,
        baseline: of('stored', key),
        baseline_name: BASELINE,
        higher_is_better: false,
        target,
      });
    return [
      vsBaseline('time, + 1 row-form on-demand feature', 'row', 'ms', 'ms', TIME_TARGET),
      vsBaseline('CPU time, + 1 row-form on-demand feature', 'row', 'cpuMs', 'ms', null),
      vsBaseline('peak RSS, + 1 row-form on-demand feature', 'row', 'maxRssMb', 'MiB', null),
      vsBaseline('time, + 1 column-form on-demand feature', 'columns', 'ms', 'ms', null),
      vsBaseline('CPU time, + 1 column-form on-demand feature', 'columns', 'cpuMs', 'ms', null),
    ] satisfies BenchResult[];
  },
};
