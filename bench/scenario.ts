/**
 * The benchmark harness's contract. A scenario measures one or more figures, each beside a
 * baseline measured in the same run, and returns one result per figure.
 */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** The comparable figure of the baseline (same unit); null when a figure is an absolute budget. */
  baseline: number | null;
  baseline_name: string;
  /** value / baseline (or value / budget); compare with `higher_is_better`. */
  ratio: number | null;
  higher_is_better: boolean;
}

export interface BenchContext {
  /** Small sizes, for CI and smoke runs. */
  quick: boolean;
  /** A folder the scenario may keep data in between runs (generated inputs are cached there). */
  workDir: string;
  /** Repetitions of each measurement; the median is reported. */
  repetitions: number;
  log(message: string): void;
}

export interface Scenario {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}
