/**
 * The cost of statistics: `compute` of rows × 10 features (eight numeric, a string, a bool) into an
 * empty store with statistics, against the same compute without them, alternating in fresh child
 * processes. Target: at most 1.25× the time without statistics.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { measureInChild, measurePair } from '../measure.ts';
import type { Scenario } from '../scenario.ts';

const TASKS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'tasks',
  'compute-stats-tasks.ts',
);
const TARGET = 1.25;
const BASELINE = 'the same compute without statistics';

export const scenario: Scenario = {
  name: 'compute.stats',
  description: 'compute with statistics vs the same compute without them',
  async run(ctx) {
    // Quick runs keep enough rows that DuckDB's fixed costs (opening, planning, file creation) do
    // not decide the ratio.
    const rows = ctx.quick ? 2_000_000 : 10_000_000;
    const dir = path.join(ctx.workDir, `rows-${rows}`);
    await mkdir(dir, { recursive: true });
    ctx.log(
      `source of ${rows} rows: ${(await measureInChild(TASKS, 'generateSource', { dir, rows })).result}`,
    );
    const run = async (statistics: boolean) => {
      const store = statistics ? 'offline-with' : 'offline-without';
      await measureInChild(TASKS, 'removeStore', { dir, store });
      const m = await measureInChild(TASKS, 'compute', { dir, store, statistics });
      if (m.result !== rows) throw new Error(`compute wrote ${String(m.result)} rows, expected ${rows}`);
      return m;
    };
    const m = await measurePair(
      ctx.repetitions,
      () => run(true),
      () => run(false),
    );
    const runs = (ms: readonly number[]) => ms.map((v) => v.toFixed(0)).join(', ');
    ctx.log(
      `with statistics ${m.target.ms.toFixed(0)} ms (runs ${runs(m.target.allMs)}; CPU ${m.target.cpuMs.toFixed(0)} ms), ` +
        `without ${m.baseline.ms.toFixed(0)} ms (runs ${runs(m.baseline.allMs)}; CPU ${m.baseline.cpuMs.toFixed(0)} ms)`,
    );
    const label = `${rows / 1_000_000}M rows × 10 features`;
    const vs = (name: string, unit: string, value: number, baseline: number, target: number | null) =>
      figure({ name, value, unit, baseline, baseline_name: BASELINE, higher_is_better: false, target });
    return [
      vs(`time, ${label}`, 'ms', m.target.ms, m.baseline.ms, TARGET),
      vs(`CPU time, ${label}`, 'ms', m.target.cpuMs, m.baseline.cpuMs, null),
      vs(`peak RSS, ${label}`, 'MiB', m.target.maxRssMb, m.baseline.maxRssMb, null),
    ];
  },
};
