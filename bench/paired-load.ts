/**
 * A target and its baseline under the same HTTP load (http-load.ts), as the aggregation benchmarks
 * measure them: both warmed, then timed runs alternating (target, baseline, target, ...) so drift
 * (other load, Redis) falls on both alike, and their medians reported as throughput, p50 and p99
 * figures beside each other, with the CPU time each run cost its servers' process (child-cpu.ts).
 */
import { figure } from './figure.ts';
import { type LoadOptions, type LoadRun, load } from './http-load.ts';
import { median } from './measure.ts';
import type { BenchResult } from './scenario.ts';

/** A run and the CPU time its servers' process spent per request during it (NaN when unknown). */
export interface CpuRun extends LoadRun {
  cpuUs: number;
}

/** One timed load of `seconds` against one side. */
export type LoadSide = (seconds: number) => Promise<CpuRun>;

/**
 * A side loaded as `options` say, its CPU time per request read from `cpuMs` (child-cpu.ts).
 * The servers' process must serve nothing else during the run for the figure to be this side's.
 */
export function loadSide(options: Omit<LoadOptions, 'seconds'>, cpuMs: (() => number) | null): LoadSide {
  return async (seconds) => {
    const before = cpuMs?.() ?? Number.NaN;
    const run = await load({ ...options, seconds });
    const used = (cpuMs?.() ?? Number.NaN) - before;
    return { ...run, cpuUs: (used * 1000) / (run.rps * seconds) };
  };
}

export interface PairedRuns {
  target: CpuRun[];
  baseline: CpuRun[];
}

export async function pairedLoad(options: {
  repetitions: number;
  seconds: number;
  target: LoadSide;
  baseline: LoadSide;
  /** Told each repetition's pair of runs, for the log. */
  each(repetition: number, target: CpuRun, baseline: CpuRun): void;
}): Promise<PairedRuns> {
  // Warm both (JIT, connections, registry and plan caches) before measuring.
  await options.target(1);
  await options.baseline(1);
  const runs: PairedRuns = { target: [], baseline: [] };
  for (let i = 0; i < options.repetitions; i++) {
    const t = await options.target(options.seconds);
    const b = await options.baseline(options.seconds);
    runs.target.push(t);
    runs.baseline.push(b);
    options.each(i + 1, t, b);
  }
  return runs;
}

/** How a pair's figures are named and judged. */
export interface PairedFigures {
  /** What was loaded, before each figure's own name (`1 entity × 13 features`). */
  label: string;
  baselineName: string;
  /**
   * The throughput's unit, what it counts (`request`, `row`) and how many of those a request
   * carries, and its target.
   */
  throughput: { unit: string; item: string; perRequest: number; target: number | null };
  p99Target: number | null;
}

/**
 * Throughput, p50 and p99 latency of the target's median runs beside the baseline's, and the
 * servers' CPU time per item when it was read.
 */
export function pairedFigures(runs: PairedRuns, how: PairedFigures): BenchResult[] {
  const of = (name: string, unit: string, key: keyof CpuRun, scale: number, target: number | null) =>
    figure({
      name: `${how.label}, ${name}`,
      value: median(runs.target.map((r) => r[key])) * scale,
      unit,
      baseline: median(runs.baseline.map((r) => r[key])) * scale,
      baseline_name: how.baselineName,
      higher_is_better: key === 'rps',
      target,
    });
  const { unit, item, perRequest, target } = how.throughput;
  const results = [
    of(unit, unit, 'rps', perRequest, target),
    of('p50 latency', 'ms', 'p50', 1, null),
    of('p99 latency', 'ms', 'p99', 1, how.p99Target),
  ];
  const cpu = of(`servers' CPU per ${item}`, 'µs', 'cpuUs', 1 / perRequest, null);
  return Number.isNaN(cpu.value) ? results : [...results, cpu];
}

/** A run as the log shows it: throughput, p99 and CPU per item. */
export function describeRun(run: CpuRun, how: PairedFigures['throughput']): string {
  const cpu = Number.isNaN(run.cpuUs)
    ? ''
    : `, ${(run.cpuUs / how.perRequest).toFixed(1)} µs CPU per ${how.item}`;
  return `${Math.round(run.rps * how.perRequest)} ${how.unit} (p99 ${run.p99.toFixed(2)} ms${cpu})`;
}
