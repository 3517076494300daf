/**
 * Distributed materialization with 1, 2 and 4 shard worker processes against the single-process
 * run, on the materialize scenario's rows (one partition day, 8 entity slices → 8 shards). Each
 * figure is rows/s beside the single-process rows/s of the same repetitions, as a ratio (the
 * speed-up). On a 2-core machine Redis, DuckDB and every worker share the same two cores, so the
 * speed-up is bounded there; the figure shows the queue's overhead and how far it scales anyway.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { type Measurement, measureInChild, median } from '../measure.ts';
import type { Scenario } from '../scenario.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const TASKS = path.join(here, '..', 'tasks', 'materialize-tasks.ts');
const SCALE_TASKS = path.join(here, '..', 'tasks', 'materialize-scale-tasks.ts');
const WORKERS = [1, 2, 4];
const SLICES = 8;

function rowsOf(m: Measurement): { rows: number; seconds: number } {
  return m.result as { rows: number; seconds: number };
}

export const scenario: Scenario = {
  name: 'materialize.scale',
  description: 'distributed materialize with 1, 2, 4 shard workers vs the single-process run',
  optIn: true,
  async run(ctx) {
    const rows = ctx.quick ? 200_000 : 1_000_000;
    const dir = path.join(ctx.workDir, `rows-${rows}-v2`);
    await mkdir(dir, { recursive: true });
    await measureInChild(TASKS, 'generateMaterializeData', { dir, rows });
    const single: Measurement[] = [];
    const byWorkers = new Map<number, Measurement[]>(WORKERS.map((n) => [n, []]));
    for (let i = 0; i < ctx.repetitions; i++) {
      const s = await measureInChild(TASKS, 'troveMaterialize', { dir });
      single.push(s);
      const line = [`single ${Math.round(rows / rowsOf(s).seconds)} rows/s (cpu ${Math.round(s.cpuMs)} ms)`];
      for (const n of WORKERS) {
        const m = await measureInChild(SCALE_TASKS, 'distributedMaterialize', {
          dir,
          workers: n,
          slices: SLICES,
        });
        if (rowsOf(m).rows !== rows) throw new Error(`expected ${rows} rows, got ${rowsOf(m).rows}`);
        byWorkers.get(n)!.push(m);
        line.push(`${n} workers ${Math.round(rows / rowsOf(m).seconds)} rows/s`);
      }
      ctx.log(`repetition ${i + 1}: ${line.join(', ')}`);
    }
    const rate = (ms: readonly Measurement[]) => median(ms.map((m) => rows / rowsOf(m).seconds));
    return WORKERS.map((n) =>
      figure({
        name: `rows/s, ${n} worker${n === 1 ? '' : 's'}, ${rows / 1000}k rows × 10 features, ${SLICES} shards`,
        value: rate(byWorkers.get(n)!),
        unit: 'rows/s',
        baseline: rate(single),
        baseline_name: 'single-process materialize',
        higher_is_better: true,
        target: null,
      }),
    );
  },
};
