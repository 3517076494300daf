/**
 * Materialization throughput: offline rows × 10 features (one row per entity, so every row is
 * written) through DuckDB, the codec and the newest-wins write, against a bare ioredis writer
 * issuing pipelined HSETs of the same encoded rows already in memory. Target: at least 2× the
 * bare writer's rows/s. Each run is a fresh child process; the two alternate and medians are
 * reported, with the peak RSS of Trove's runs and the CPU time per row of writer and Redis together
 * (which, unlike the rate, does not move with what else the machine runs).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure } from '../figure.ts';
import { type Measurement, measureInChild, median } from '../measure.ts';
import type { Scenario } from '../scenario.ts';
import type { WriteRun } from '../tasks/materialize-tasks.ts';

const TASKS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tasks', 'materialize-tasks.ts');
/** The whole pipeline, guard included, at 2× a naive writer of rows already in memory. */
const TARGET = 2;

function writeRun(m: Measurement): WriteRun {
  const r = m.result;
  if (
    typeof r !== 'object' ||
    r === null ||
    !('rows' in r) ||
    !('seconds' in r) ||
    typeof r.rows !== 'number' ||
    typeof r.seconds !== 'number'
  )
    throw new Error(`a materialize run reported ${JSON.stringify(r)}`);
  const cpu = (k: string): number | undefined => {
    const v = (r as Record<string, unknown>)[k];
    return typeof v === 'number' ? v : undefined;
  };
  return {
    rows: r.rows,
    seconds: r.seconds,
    cpuSeconds: cpu('cpuSeconds'),
    redisCpuSeconds: cpu('redisCpuSeconds'),
  };
}

/** Microseconds of CPU per row, the writer's process and Redis together. */
function cpuPerRow(m: Measurement): number {
  const r = writeRun(m);
  return (((r.cpuSeconds ?? Number.NaN) + (r.redisCpuSeconds ?? Number.NaN)) * 1e6) / r.rows;
}

export const scenario: Scenario = {
  name: 'materialize',
  description: 'rows × 10 features from Parquet to Redis vs bare pipelined HSET of the same rows',
  async run(ctx) {
    // Large enough even when quick that a run's fixed cost (opening DuckDB, locks, watermarks) does
    // not decide the ratio.
    const rows = ctx.quick ? 200_000 : 1_000_000;
    // v2: computed by compute, with its partition markers (earlier stores were written directly).
    const dir = path.join(ctx.workDir, `rows-${rows}-v2`);
    await mkdir(dir, { recursive: true });
    ctx.log(
      `offline rows: ${(await measureInChild(TASKS, 'generateMaterializeData', { dir, rows })).result}`,
    );
    const trove: Measurement[] = [];
    const bare: Measurement[] = [];
    // Quick runs last about a second each, and their rate varies by ±20% here with how Redis and
    // the writer share the two cores: at least 5 repetitions so the medians settle.
    const repetitions = ctx.quick ? Math.max(ctx.repetitions, 5) : ctx.repetitions;
    for (let i = 0; i < repetitions; i++) {
      const t = await measureInChild(TASKS, 'troveMaterialize', { dir });
      const b = await measureInChild(TASKS, 'bareHset', { dir, rows });
      const tr = writeRun(t);
      const br = writeRun(b);
      if (tr.rows !== rows || br.rows !== rows)
        throw new Error(`expected ${rows} rows written, got ${tr.rows} (trove) and ${br.rows} (bare)`);
      trove.push(t);
      bare.push(b);
      ctx.log(
        `repetition ${i + 1}: trove ${Math.round(tr.rows / tr.seconds)} rows/s (cpu ${tr.cpuSeconds?.toFixed(2)} s + redis ${tr.redisCpuSeconds?.toFixed(2)} s), bare ${Math.round(br.rows / br.seconds)} rows/s (cpu ${br.cpuSeconds?.toFixed(2)} s + redis ${br.redisCpuSeconds?.toFixed(2)} s)`,
      );
    }
    const rate = (ms: readonly Measurement[]) => median(ms.map((m) => rows / writeRun(m).seconds));
    const label = `${rows / 1000}k rows × 10 features`;
    return [
      figure({
        name: `rows/s, ${label}`,
        value: rate(trove),
        unit: 'rows/s',
        baseline: rate(bare),
        baseline_name: 'bare ioredis pipelined HSET of rows in memory',
        higher_is_better: true,
        target: TARGET,
      }),
      figure({
        name: `CPU µs per row (writer + Redis), ${label}`,
        value: median(trove.map(cpuPerRow)),
        unit: 'µs',
        baseline: median(bare.map(cpuPerRow)),
        baseline_name: 'bare ioredis pipelined HSET of rows in memory',
        higher_is_better: false,
        target: null,
      }),
      figure({
        name: `peak RSS, ${label}`,
        value: median(trove.map((m) => m.maxRssMb)),
        unit: 'MiB',
        baseline: null,
        baseline_name: '-',
        higher_is_better: false,
        target: null,
      }),
    ];
  },
};
