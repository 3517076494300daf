import type { FeatureCheckKind } from '../../definitions/checks/feature-checks.ts';
import { TroveError } from '../../errors.ts';

/** A check's name: a feature's, or the view's `minRows`. */
export type CheckKind = FeatureCheckKind | 'minRows';

/** Most failing rows a report shows per check and partition. */
export const MAX_SAMPLES = 5;

/** A failing row as a report shows it: join keys, event time and the checked feature, as text. */
export type SampleRow = Record<string, string | null>;

/** One check that failed in one partition (or, for `minRows`, over every row a compute wrote). */
export interface CheckFailure {
  /** The feature checked; null for a view check. */
  feature: string | null;
  check: CheckKind;
  /** The check as declared: `max 1`, `maxNullFraction 0.1`, `minRows 100`. */
  rule: string;
  /** The partition's date (YYYY-MM-DD); null when the check covers every row the compute wrote. */
  partition: string | null;
  /** Rows failing (for `maxNullFraction`, the nulls; for `minRows`, the rows written). */
  failing: number;
  /** Rows checked: the partition's, or every row written. */
  rows: number;
  /** Up to MAX_SAMPLES failing rows; none for `minRows`. */
  samples: SampleRow[];
}

/** What one view's checks found at compute. */
export interface ViewValidation {
  view: string;
  failures: CheckFailure[];
}

/** `1 check`, `2 checks`. */
export function checksText(n: number): string {
  return `${n} check${n === 1 ? '' : 's'}`;
}

function showSample(sample: SampleRow): string {
  return `{${Object.entries(sample)
    .map(([k, v]) => `${k}: ${v === null ? 'null' : v}`)
    .join(', ')}}`;
}

/** One line per failure: which check, where, how many rows, and the first sample. */
export function describeFailure(failure: CheckFailure): string {
  const subject = failure.feature === null ? failure.rule : `${failure.feature} ${failure.rule}`;
  if (failure.check === 'minRows') return `${subject}: the compute wrote ${failure.rows} rows`;
  const where = `partition ${failure.partition}`;
  const count =
    failure.check === 'maxNullFraction'
      ? `${failure.failing} of ${failure.rows} rows null in ${where}`
      : `${failure.failing} of ${failure.rows} rows in ${where}`;
  const sample = failure.samples[0];
  return sample ? `${subject}: ${count}, e.g. ${showSample(sample)}` : `${subject}: ${count}`;
}

/** A report of every failing check of every view, one line per failure under its view. */
export function formatValidationReport(views: readonly ViewValidation[]): string {
  const lines: string[] = [];
  for (const v of views) {
    lines.push(`feature view ${v.view}: ${checksText(v.failures.length)} failed; nothing was committed`);
    for (const f of v.failures) {
      lines.push(`  ${describeFailure(f)}`);
      for (const sample of f.samples.slice(1)) lines.push(`      ${showSample(sample)}`);
    }
  }
  return lines.join('\n');
}

/**
 * A compute refused because rows of some views failed their checks. The refused views committed
 * nothing; `committed` names the views of the same run that passed and were swapped in.
 */
export class ValidationError extends TroveError {
  readonly views: ViewValidation[];
  readonly committed: string[];
  constructor(views: ViewValidation[], committed: string[]) {
    const names = views.map((v) => v.view).join(', ');
    const count = views.reduce((n, v) => n + v.failures.length, 0);
    super(
      'VALIDATION_FAILED',
      `checks failed for feature view${views.length > 1 ? 's' : ''} ${names} (${checksText(count)}); nothing was committed for ${views.length > 1 ? 'them' : 'it'}\n${formatValidationReport(views)}`,
      422,
    );
    this.name = 'ValidationError';
    this.views = views;
    this.committed = committed;
  }
}
