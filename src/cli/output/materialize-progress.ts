/**
 * A materialization's progress events as the CLI shows them: one bar per view on a terminal (rows
 * counted first, for a percentage), else the log lines the materializer has always written.
 */
import { logProgress, type MaterializeLog, type ProgressReporter } from '../../materialize/progress.ts';
import type { ProgressBar, Reporter } from './reporter.ts';

/** The run's log lines (lock waits, skipped views) through the reporter. */
export function reporterLog(reporter: Reporter): MaterializeLog {
  // A warning (skipped checks) says so in its fields; everything else is information.
  return (message, fields) => {
    const { level, ...rest } = fields;
    if (level === 'warn') reporter.log('warn', message, rest);
    else reporter.log('info', message, fields);
  };
}

export function materializeProgress(reporter: Reporter): ProgressReporter {
  const { format, verbosity } = reporter.settings;
  if (format === 'json' || verbosity === 'quiet')
    // --verbose: a line for every write instead of every few seconds.
    return logProgress(reporterLog(reporter), verbosity === 'verbose' ? 0 : undefined);
  let views: readonly string[] = [];
  /** `2/4 name` when the run covers several views. */
  const label = (view: string): string =>
    views.length > 1 ? `${views.indexOf(view) + 1}/${views.length} ${view}` : view;
  let labelWidth = 0;
  let bar: ProgressBar | undefined;
  return {
    wantsTotal: true,
    begin(names) {
      views = names;
      labelWidth = Math.max(...names.map((name) => label(name).length));
    },
    start(view, total) {
      bar = reporter.bar({ label: label(view), labelWidth, total, unit: 'rows' });
    },
    advance(rows) {
      bar?.increment(rows);
    },
    shard(fields) {
      reporter.log('info', 'shard done', {
        view: fields.view,
        day: fields.day,
        shard: `${fields.index + 1}/${fields.count}`,
        rows: fields.rows,
        seconds: fields.seconds,
      });
    },
    finish(fields) {
      bar?.done();
      reporter.log('debug', 'materialized view', { ...fields });
    },
  };
}
