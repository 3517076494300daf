import type { BenchResult } from './scenario.ts';

/** What a scenario knows about one figure; ratio and pass follow from it. */
export interface FigureInput {
  name: string;
  value: number;
  unit: string;
  baseline: number | null;
  baseline_name: string;
  higher_is_better: boolean;
  target: number | null;
}

export function passes(ratio: number | null, target: number | null, higherIsBetter: boolean): boolean | null {
  if (ratio === null || target === null) return null;
  return higherIsBetter ? ratio >= target : ratio <= target;
}

/** A result with its ratio to the baseline and whether that ratio met the target. */
export function figure(input: FigureInput): BenchResult {
  const ratio = input.baseline === null || input.baseline === 0 ? null : input.value / input.baseline;
  return { ...input, ratio, passed: passes(ratio, input.target, input.higher_is_better) };
}
