/**
 * The drills' contract. A drill provokes one kind of fault, load or hostile input against real
 * processes on 127.0.0.1, checks that nothing was lost or broken, and reports its figures. Each
 * drill is bounded in time and stops the processes it started, pass or fail.
 */
export interface DrillContext {
  /** Shorter runs (fewer kill points, shorter soak) for smoke checks; the full drill is the record. */
  quick: boolean;
  /** A scratch folder of this drill's own (inside the project, git-ignored); removed afterwards. */
  workDir: string;
  log(message: string): void;
}

/** One check a drill made: what it asserts, and whether it held. */
export interface DrillCheck {
  what: string;
  passed: boolean;
  /** The measured figure behind the check, e.g. "0 lost, 0 stale, 0 regressed" or "p99 41 ms". */
  detail: string;
}

export interface DrillResult {
  checks: DrillCheck[];
  /** Figures worth recording in docs/reliability.md beside the checks. */
  figures: Record<string, number | string>;
}

export interface Drill {
  /** kebab-case, as `npm run drills -- --only NAME` takes it. */
  name: string;
  description: string;
  /** The runner fails the drill and moves on once this has passed. */
  timeLimitSeconds: number;
  run(ctx: DrillContext): Promise<DrillResult>;
}

/** A check from a condition, for drills' brevity. */
export function check(what: string, passed: boolean, detail: string): DrillCheck {
  return { what, passed, detail };
}
