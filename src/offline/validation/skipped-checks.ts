/**
 * `skipChecks` is for emergencies (a check wrong in production, data needed online now): every use
 * leaves a warning in the log, so that it is seen and the check fixed.
 */

/** Structured log sink: a message and fields, like materialization's. */
export type ChecksLog = (message: string, fields: Record<string, unknown>) => void;

/** One JSON line on stderr, as the CLI's other structured logs. */
export function stderrChecksLog(message: string, fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

/** Logs, at warning level, that `stage` runs without data-quality checks for `views`. */
export function logSkippedChecks(
  log: ChecksLog | undefined,
  stage: 'compute' | 'materialize' | 'push',
  views: readonly string[],
): void {
  (log ?? stderrChecksLog)('data-quality checks skipped (skipChecks)', { level: 'warn', stage, views });
}
