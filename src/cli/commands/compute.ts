import type { Command } from 'commander';
import type { ComputeProgress, ViewComputeResult } from '../../offline/compute-views.ts';
import { formatValidationReport, ValidationError } from '../../offline/validation/check-failure.ts';
import { openReporter, type ProgressBar, type Reporter } from '../output/reporter.ts';
import { formatCount, formatRate, formatSeconds, type SummaryTable } from '../output/summary-table.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/** Help of `--skip-checks`, which compute and both materialize commands take. */
export const SKIP_CHECKS_HELP = 'run without the data-quality checks (emergencies only; logged as a warning)';

interface ComputeCliOptions extends RepoOptions {
  views?: string;
  start?: string;
  end?: string;
  skipChecks?: boolean;
  distributed?: boolean;
}

/** Help of `--distributed` of compute. */
export const COMPUTE_DISTRIBUTED_HELP =
  'stage each partition day through the shard queue in Redis, for `npm run materializer -- --mode shards` processes to take';

/**
 * Follows compute's progress events: each goes out as a JSON line, and moves one bar over the
 * views; it also times each view for the summary.
 */
function followCompute(reporter: Reporter) {
  let bar: ProgressBar | undefined;
  const startedAt = new Map<string, number>();
  const seconds = new Map<string, number>();
  return {
    seconds,
    onProgress(e: ComputeProgress): void {
      reporter.event({ ...e });
      bar ??= reporter.bar({ label: 'compute', total: e.total, unit: 'views', rate: false });
      if (e.step === 'start') {
        startedAt.set(e.view, Date.now());
        bar.update(e.index, `${e.view}: reading source`);
      } else if (e.step === 'shard' && e.shard) {
        const s = e.shard;
        bar.update(e.index, `${e.view}: ${s.finished}/${s.count} days, ${formatCount(s.totalRows)} rows`);
        reporter.log('info', 'shard done', {
          view: e.view,
          day: s.day,
          shard: `${s.index + 1}/${s.count}`,
          rows: s.rows,
          seconds: s.seconds,
          totalRows: s.totalRows,
        });
      } else if (e.step === 'staged') {
        bar.update(e.index, `${e.view}: swapping ${e.partitions} partitions`);
      } else {
        seconds.set(e.view, (Date.now() - (startedAt.get(e.view) ?? Date.now())) / 1000);
        bar.update(e.index + 1, `${e.view}: ${formatCount(e.rows ?? 0)} rows`);
      }
    },
    done(): void {
      bar?.done('done');
    },
  };
}

function computeTable(
  results: readonly ViewComputeResult[],
  seconds: ReadonlyMap<string, number>,
  total: number,
): SummaryTable {
  const rows = results.reduce((n, r) => n + r.rows, 0);
  const partitions = results.reduce((n, r) => n + r.partitions.length, 0);
  return {
    title: `Computed ${results.length} view${results.length === 1 ? '' : 's'} into the offline store: ${formatCount(rows)} rows in ${formatSeconds(total)}`,
    columns: [
      { header: 'view' },
      { header: 'rows', align: 'right' },
      { header: 'partitions', align: 'right' },
      { header: 'time', align: 'right' },
      { header: 'rows/s', align: 'right' },
    ],
    rows: results.map((r) => {
      const s = seconds.get(r.view) ?? 0;
      return [
        r.view,
        formatCount(r.rows),
        formatCount(r.partitions.length),
        formatSeconds(s),
        formatRate(r.rows, s),
      ];
    }),
    total: [
      'total',
      formatCount(rows),
      formatCount(partitions),
      formatSeconds(total),
      formatRate(rows, total),
    ],
  };
}

/** `trove compute`: computes feature views into the offline store, optionally over a time range. */
export function registerComputeCommand(program: Command): void {
  withRepoOption(
    program
      .command('compute')
      .description('compute feature views into the offline store')
      .option('--views <names>', 'comma-separated views (default: all offline views)')
      .option('--start <time>', 'ISO 8601 start of the event-time range, inclusive (no zone: UTC)')
      .option('--end <time>', 'ISO 8601 end of the event-time range, exclusive (no zone: UTC)')
      .option('--skip-checks', SKIP_CHECKS_HELP)
      .option('--distributed', COMPUTE_DISTRIBUTED_HELP),
  ).action(async (options: ComputeCliOptions, command: Command) => {
    const reporter = await openReporter(command);
    const { FeatureStore } = await import('../../feature-store.ts');
    const store = await FeatureStore.open(options.repo);
    const progress = followCompute(reporter);
    const started = Date.now();
    try {
      const views = options.views
        ?.split(',')
        .map((v) => v.trim())
        .filter(Boolean);
      reporter.log('debug', 'computing', {
        repo: store.config.repoDir,
        offlineStore: store.config.offlineStorePath,
        views: views ?? 'all',
        start: options.start ?? null,
        end: options.end ?? null,
      });
      const results = await store.compute({
        ...(views ? { views } : {}),
        ...(options.start !== undefined ? { start: options.start } : {}),
        ...(options.end !== undefined ? { end: options.end } : {}),
        onProgress: progress.onProgress,
        skipChecks: options.skipChecks === true,
        log: (message, { level: _warn, ...fields }) => reporter.log('warn', message, fields),
        ...(options.distributed
          ? { distributed: { log: (message, fields) => reporter.log('info', message, fields) } }
          : {}),
      });
      progress.done();
      reporter.result({
        lines: results.map((r) => `${r.view}: ${r.rows} rows in ${r.partitions.length} partitions`),
        table: computeTable(results, progress.seconds, (Date.now() - started) / 1000),
      });
    } catch (err) {
      // The one-line reason follows; the report lists every failing check with its samples.
      if (err instanceof ValidationError) {
        for (const view of err.committed) reporter.log('info', 'computed', { view });
        // The bars stop first, so the report is not drawn over.
        reporter.close();
        process.stderr.write(`${formatValidationReport(err.views)}\n`);
      }
      throw err;
    } finally {
      reporter.close();
      await store.close();
    }
  });
}
