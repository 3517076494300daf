/**
 * The cost of a training dataset's manifest (SPEC §9): the offline.pit dataset of 1M entity rows ×
 * 3 views written to Parquet with its manifest (fingerprints of every partition file read, of the
 * entity file and the source files, the output's sha256, the catalog entry) against the same
 * dataset without it, each run a fresh process, the two alternating. The target's time runs until
 * `writeDataset` resolves (file and manifest in place); the statistics of the dataset's columns
 * are recorded after that, and the time until they are is reported beside it. Also reported: the
 * part of the time after the file is in place (what does not overlap the join). Also measured in
 * the same rounds: the manifest built with `--no-statistics`. Target: time ≤ 1.05× the dataset's
 * without the manifest.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { type Measurement, measureInChild, measureRounds, median, type PairSide } from '../measure.ts';
import type { BenchResult, Scenario } from '../scenario.ts';

const BASELINE = 'the same dataset without its manifest';
const TARGET = 1.05;
/** The feature columns of the dataset (FEATURES), each of which gets statistics. */
const FEATURE_COLUMNS = 6;
const TASKS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'tasks',
  'offline-manifest-tasks.ts',
);

export const scenario: Scenario = {
  name: 'offline.manifest',
  description: 'a 1M-row training dataset with its manifest vs without it',
  optIn: true,
  async run(ctx) {
    const entityRows = 1_000_000;
    const featureRows = ctx.quick ? 1_000_000 : 10_000_000;
    await mkdir(ctx.workDir, { recursive: true });
    const dir = path.join(ctx.workDir, `store-${featureRows}`);
    const entities = path.join(ctx.workDir, `entities-${entityRows}-${featureRows}.parquet`);
    ctx.log(
      `store of ${featureRows} feature rows: ${(await measureInChild(TASKS, 'generateStore', { dir, featureRows })).result}`,
    );
    await measureInChild(TASKS, 'generateEntities', { file: entities, rows: entityRows, featureRows });
    const args = { dir, entities };
    // A 5% effect under run-to-run noise of several percent: more repetitions than the default.
    const reps = Math.max(ctx.repetitions, ctx.quick ? 9 : 5);
    const tail: number[] = [];
    const recorded: number[] = [];
    /** The run's time is until the dataset and its manifest are in place; `recorded` gets the whole. */
    const withManifest = (statistics: boolean) => async (): Promise<Measurement> => {
      const run: Measurement = await measureInChild(TASKS, 'withManifest', {
        ...args,
        out: path.join(ctx.workDir, statistics ? 'with.parquet' : 'lineage.parquet'),
        statistics,
      });
      const result = run.result as {
        rows: number;
        datasetMs: number;
        manifestMs: number;
        partitions: number;
        columns: number;
      };
      if (result.rows !== entityRows) throw new Error(`with manifest: ${result.rows} rows`);
      if (statistics && result.columns !== FEATURE_COLUMNS)
        throw new Error(`with manifest: statistics of ${result.columns} columns`);
      if (statistics) {
        tail.push(result.manifestMs);
        recorded.push(run.ms);
      }
      ctx.log(
        `with manifest${statistics ? '' : ' without statistics'} ${result.datasetMs.toFixed(0)} ms (CPU ${run.cpuMs.toFixed(0)} ms), of which ${result.manifestMs.toFixed(0)} ms after the file was written; ${statistics ? `statistics recorded at ${run.ms.toFixed(0)} ms; ` : ''}${result.partitions} partitions`,
      );
      return { ...run, ms: result.datasetMs };
    };
    const m = await measureRounds(reps, {
      target: withManifest(true),
      lineage: withManifest(false),
      baseline: async () => {
        const run = await measureInChild(TASKS, 'withoutManifest', {
          ...args,
          out: path.join(ctx.workDir, 'without.parquet'),
        });
        if (run.result !== entityRows) throw new Error(`without manifest: ${String(run.result)} rows`);
        ctx.log(`without manifest ${run.ms.toFixed(0)} ms (CPU ${run.cpuMs.toFixed(0)} ms)`);
        return run;
      },
    });
    const label = `1M entity rows × 3 views × ${featureRows / 1_000_000}M feature rows, Parquet`;
    /** Time (with the target) and CPU time of one kind of manifest against the dataset alone. */
    const against = (side: PairSide, what: string): BenchResult[] =>
      (['ms', 'cpuMs'] as const).map((key) =>
        figure({
          name: `${key === 'ms' ? 'time' : side === m.target ? 'CPU time, the statistics recorded after it included' : 'CPU time'}${what}, ${label}`,
          value: side[key],
          unit: 'ms',
          baseline: m.baseline[key],
          baseline_name: BASELINE,
          higher_is_better: false,
          target: key === 'ms' ? TARGET : null,
        }),
      );
    const results: BenchResult[] = [
      ...against(m.target, ''),
      figure({
        name: `time until the statistics of its columns are recorded in the manifest, ${label}`,
        value: median(recorded),
        unit: 'ms',
        baseline: m.baseline.ms,
        baseline_name: BASELINE,
        higher_is_better: false,
        target: null,
      }),
      figure({
        name: `manifest time after the file is written, ${label}`,
        value: median(tail),
        unit: 'ms',
        baseline: m.baseline.ms,
        baseline_name: 'the dataset without its manifest',
        higher_is_better: false,
        target: null,
      }),
      ...against(m.lineage, ', manifest without column statistics (--no-statistics)'),
    ];
    return results;
  },
};
