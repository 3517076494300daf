/**
 * The benchmark harness's contract. A scenario measures one or more figures, each beside a
 * baseline measured in the same run, and returns one result per figure.
 */
export interface BenchResult {
  /** What the figure is within its scenario; the runner puts the scenario's name before it. */
  name: string;
  value: number;
  unit: string;
  /** The comparable figure of the baseline (same unit); null when a figure is reported alone. */
  baseline: number | null;
  baseline_name: string;
  /** value / baseline; compare with `higher_is_better`. */
  ratio: number | null;
  higher_is_better: boolean;
  /**
   * The ratio the figure must reach: at least this when higher is better, at most this otherwise;
   * null for figures reported without a target.
   */
  target: number | null;
  /** Whether `ratio` met `target`; null without a target. */
  passed: boolean | null;
}

/**
 * A result as the runner prints and writes it: every field present, its scenario, and `name`
 * starting with the scenario's name (`online.lib: 1 entity × 3 views, reads/s`).
 */
export type ReportedResult = BenchResult & { scenario: string };

export interface BenchContext {
  /** Small sizes, for CI and smoke runs (the whole quick suite stays under 3 minutes). */
  quick: boolean;
  /** A folder the scenario may keep data in between runs (generated inputs are cached there). */
  workDir: string;
  /** Repetitions of each measurement; the median is reported. */
  repetitions: number;
  log(message: string): void;
}

export interface Scenario {
  /** Dotted (`online.http`): what `--only` takes and what every result's name starts with. */
  name: string;
  description: string;
  /** Run only when named with `--only` (long scenarios kept out of the default suite). */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}
