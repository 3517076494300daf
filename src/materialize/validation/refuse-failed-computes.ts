/**
 * Materialization refuses a view whose newest compute failed its checks: that compute committed
 * nothing, so the offline rows are an older compute's, and whatever the checks caught is still
 * waiting upstream; serving would hide it. The refusal comes before any lock or write, for every
 * such view of the run at once.
 */
import { TroveError } from '../../errors.ts';
import { checksText, describeFailure } from '../../offline/validation/check-failure.ts';
import { logSkippedChecks } from '../../offline/validation/skipped-checks.ts';
import { readValidationRecord } from '../../offline/validation/validation-record.ts';
import type { MaterializeLog } from '../progress.ts';

/** What a materialization takes about checks. */
export interface MaterializeChecksOptions {
  /**
   * Materializes views whose newest compute failed its checks (their last committed rows);
   * emergencies only, logged as a warning.
   */
  skipChecks?: boolean;
}

/** Failures shown per view in the one-line refusal; the compute's report has them all. */
const SHOWN_FAILURES = 3;

/** Throws naming each view of `views` whose newest compute failed its checks, and why. */
export async function refuseFailedComputes(
  offlineStorePath: string,
  views: readonly string[],
  options: MaterializeChecksOptions,
  log: MaterializeLog,
): Promise<void> {
  if (options.skipChecks) {
    logSkippedChecks(log, 'materialize', views);
    return;
  }
  const refused: string[] = [];
  for (const view of views) {
    const record = await readValidationRecord(offlineStorePath, view);
    if (record?.status !== 'failed') continue;
    const shown = record.failures.slice(0, SHOWN_FAILURES).map(describeFailure);
    const more = record.failures.length - shown.length;
    refused.push(
      `feature view ${view}: its newest compute (${record.at}) failed ${checksText(record.failures.length)} and committed nothing (${shown.join('; ')}${more > 0 ? `; ${more} more` : ''})`,
    );
  }
  if (refused.length > 0)
    throw new TroveError(
      'VALIDATION_FAILED',
      `materialization refused: ${refused.join('; ')}; fix the data and compute again, or materialize with --skip-checks`,
      409,
    );
}
