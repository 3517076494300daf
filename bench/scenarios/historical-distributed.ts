/**
 * `trove historical --distributed` with 1 and 2 shard worker processes against the single-process
 * training dataset, on offline.pit's data (entity rows × 3 views, one with a composite key). Each
 * figure is the distributed time beside the single-process time of the same repetitions, as a
 * ratio; every run must write the single-process file's bytes. On a 2-core machine the workers, the
 * coordinator and Redis share the same two cores, so the figure with 1 worker is the overhead of
 * the split, the queue and the merge, and the one with 2 shows how far it scales on one box anyway.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { type Measurement, measureInChild, median } from '../measure.ts';
import type { Scenario } from '../scenario.ts';
import type { DatasetRun } from '../tasks/historical-distributed-tasks.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const PIT_TASKS = path.join(here, '..', 'tasks', 'offline-pit-tasks.ts');
const TASKS = path.join(here, '..', 'tasks', 'historical-distributed-tasks.ts');
const WORKERS = [1, 2];
/** Buckets, when set; by default the library's (one per listening worker). */
const SHARDS = Number(process.env.TROVE_BENCH_HISTORICAL_SHARDS) || undefined;
/** With 1 worker, the distributed run takes at most this times the single-process run. */
const ONE_WORKER_TARGET = 1.3;

const runOf = (m: Measurement): DatasetRun => m.result as DatasetRun;

export const scenario: Scenario = {
  name: 'historical.distributed',
  description: 'trove historical --distributed with 1 and 2 shard workers vs the single-process dataset',
  optIn: true,
  async run(ctx) {
    const size = ctx.quick
      ? { entities: 100_000, features: 1_000_000 }
      : { entities: 1_000_000, features: 10_000_000 };
    const work = path.join(ctx.workDir, 'offline.pit');
    await mkdir(work, { recursive: true });
    // offline.pit's generators and sizes: the same store and entity table as its headline figure.
    const dir = path.join(work, `store-v2-${size.features}`);
    ctx.log(
      `store: ${(await measureInChild(PIT_TASKS, 'generateStore', { dir, featureRows: size.features })).result}`,
    );
    const entities = path.join(work, `entities-${size.entities}-${size.features}.parquet`);
    await measureInChild(PIT_TASKS, 'generateEntities', {
      file: entities,
      rows: size.entities,
      featureRows: size.features,
    });
    const out = (name: string) => path.join(ctx.workDir, `historical-${name}.parquet`);
    const single: DatasetRun[] = [];
    const byWorkers = new Map<number, DatasetRun[]>(WORKERS.map((n) => [n, []]));
    for (let i = 0; i < ctx.repetitions; i++) {
      const s = runOf(await measureInChild(TASKS, 'singleDataset', { dir, entities, out: out('single') }));
      single.push(s);
      const line = [`single ${s.seconds.toFixed(2)} s (CPU ${s.cpuSeconds.toFixed(1)} s)`];
      for (const workers of WORKERS) {
        const d = runOf(
          await measureInChild(TASKS, 'distributedDataset', {
            dir,
            entities,
            out: out(`w${workers}`),
            workers,
            ...(SHARDS === undefined ? {} : { shards: SHARDS }),
          }),
        );
        if (d.rows !== s.rows || d.sha256 !== s.sha256)
          throw new Error(
            `${workers} workers wrote ${d.rows} rows (sha256 ${d.sha256}), single-process ${s.rows} (sha256 ${s.sha256})`,
          );
        byWorkers.get(workers)!.push(d);
        line.push(
          `${workers} worker${workers === 1 ? '' : 's'} ${d.seconds.toFixed(2)} s (CPU ${d.cpuSeconds.toFixed(1)} s)`,
        );
      }
      ctx.log(`repetition ${i + 1}: ${line.join(', ')} (identical output)`);
    }
    const seconds = (runs: readonly DatasetRun[]) => median(runs.map((r) => r.seconds));
    const cpu = (runs: readonly DatasetRun[]) => median(runs.map((r) => r.cpuSeconds));
    const split = SHARDS === undefined ? 'buckets = workers' : `${SHARDS} buckets`;
    const label = `${size.entities / 1000}k entity rows × 3 views × ${size.features / 1_000_000}M feature rows, ${split}`;
    return WORKERS.flatMap((n) => [
      figure({
        name: `time, ${n} worker${n === 1 ? '' : 's'}, ${label}`,
        value: seconds(byWorkers.get(n)!),
        unit: 's',
        baseline: seconds(single),
        baseline_name: 'single-process trove historical',
        higher_is_better: false,
        target: n === 1 ? ONE_WORKER_TARGET : null,
      }),
      // CPU of every process of the run: the overhead, less exposed to other work on the machine.
      figure({
        name: `CPU time, ${n} worker${n === 1 ? '' : 's'}, ${label}`,
        value: cpu(byWorkers.get(n)!),
        unit: 's',
        baseline: cpu(single),
        baseline_name: 'single-process trove historical',
        higher_is_better: false,
        target: null,
      }),
    ]);
  },
};
