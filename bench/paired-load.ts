/**
 * A target and its baseline under the same HTTP load (http-load.ts), as the aggregation benchmarks
 * measure them: both warmed, then timed runs alternating (target, baseline, target, ...) so drift
 * (other load, Redis) falls on both alike, and their medians reported as throughput, p50 and p99
 * figures beside each other.
 */
import { figure } from './figure.ts';
import { type LoadRun, medianOf } from './http-load.ts';
import type { BenchResult } from './scenario.ts';

/** One timed load of `seconds` against one side; a side may report more of each run than LoadRun. */
export type LoadSide<R extends LoadRun = LoadRun> = (seconds: number) => Promise<R>;

export interface PairedRuns<R extends LoadRun = LoadRun> {
  target: R[];
  baseline: R[];
}

export async function pairedLoad<R extends LoadRun>(options: {
  repetitions: number;
  seconds: number;
  target: LoadSide<R>;
  baseline: LoadSide<R>;
  /** Told each repetition's pair of runs, for the log. */
  each(repetition: number, target: R, baseline: R): void;
}): Promise<PairedRuns<R>> {
  // Warm both (JIT, connections, registry and plan caches) before measuring.
  await options.target(1);
  await options.baseline(1);
  const runs: PairedRuns<R> = { target: [], baseline: [] };
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
  /** The throughput's unit and its multiple of requests/s (rows per request for pushes). */
  throughput: { unit: string; perRequest: number; target: number | null };
  p99Target: number | null;
}

/** Throughput, p50 and p99 latency of the target's median runs beside the baseline's. */
export function pairedFigures(runs: PairedRuns, how: PairedFigures): BenchResult[] {
  const of = (name: string, unit: string, key: keyof LoadRun, scale: number, target: number | null) =>
    figure({
      name: `${how.label}, ${name}`,
      value: medianOf(runs.target, key) * scale,
      unit,
      baseline: medianOf(runs.baseline, key) * scale,
      baseline_name: how.baselineName,
      higher_is_better: key === 'rps',
      target,
    });
  const { unit, perRequest, target } = how.throughput;
  return [
    of(unit, unit, 'rps', perRequest, target),
    of('p50 latency', 'ms', 'p50', 1, null),
    of('p99 latency', 'ms', 'p99', 1, how.p99Target),
  ];
}

/** A run as the log shows it: throughput and p99. */
export function describeRun(run: LoadRun, unit: string, perRequest: number): string {
  return `${Math.round(run.rps * perRequest)} ${unit} (p99 ${run.p99.toFixed(2)} ms)`;
}
