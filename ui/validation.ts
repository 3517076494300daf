/** Validation results as `GET /validation` answers them, and how a failure is told. */
/** The outcome of a view's newest compute (offline/validation/validation-record.ts). */
export interface ValidationRecord {
  view: string;
  status: 'passed' | 'failed' | 'skipped';
  at: string;
  failures: {
    feature: string | null;
    check: string;
    rule: string;
    partition: string | null;
    failing: number;
  }[];
  failedComputes: number;
  lastCommittedAt: string | null;
}

/** One line per failure: `fare min 0 failed for 3 rows (2026-01-02)`. */
export function failureText(f: ValidationRecord['failures'][number]): string {
  return `${f.feature ?? 'view'}: ${f.rule} failed for ${f.failing} rows${f.partition ? ` (${f.partition})` : ''}`;
}
