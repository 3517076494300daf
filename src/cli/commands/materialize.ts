import type { Command } from 'commander';
import { TroveError } from '../../errors.ts';
import type { ViewMaterialization } from '../../materialize/materialize.ts';
import type { MaterializeLog, ProgressReporter } from '../../materialize/progress.ts';
import { materializeProgress, reporterLog } from '../output/materialize-progress.ts';
import { openReporter, type Reporter } from '../output/reporter.ts';
import { formatCount, formatRate, formatSeconds, type SummaryTable } from '../output/summary-table.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';
import { SKIP_CHECKS_HELP } from './compute.ts';

/** Options of both materialize commands. */
export interface MaterializeCliOptions extends RepoOptions {
  views?: string;
  wait?: string | true;
  skipChecks?: boolean;
  distributed?: boolean;
  slices?: string;
}

/** Help of the distributed options, which both materialize commands take. */
export const DISTRIBUTED_HELP =
  'spread the work over the shard queue in Redis, for `npm run materializer -- --mode shards` processes to take';
export const SLICES_HELP =
  'with --distributed: entity slices per partition day (default 4); shards = days × slices';

/** `--distributed [--slices N]` as the library takes it. */
export function parseDistributed(
  options: Pick<MaterializeCliOptions, 'distributed' | 'slices'>,
): { slices?: number } | undefined {
  if (options.slices !== undefined && !options.distributed)
    throw new TroveError('INVALID_ARGUMENT', '--slices: only with --distributed');
  if (!options.distributed) return undefined;
  if (options.slices === undefined) return {};
  const slices = Number(options.slices);
  if (!Number.isInteger(slices) || slices < 1 || slices > 1024)
    throw new TroveError(
      'INVALID_ARGUMENT',
      `--slices: expected an integer from 1 to 1024, got ${options.slices}`,
    );
  return { slices };
}

/** Help of `--wait [SECONDS]`, which both materialize commands take. */
export const WAIT_HELP =
  'wait for views another process is materializing instead of failing: at most SECONDS, or as long as it takes';

/** `--wait [SECONDS]` as the library takes it: false without it, true without SECONDS. */
export function parseWait(value: string | true | undefined): boolean | number {
  if (value === undefined || value === true) return value === true;
  const seconds = Number(value);
  if (value.trim() === '' || !(seconds >= 0) || !Number.isFinite(seconds))
    throw new TroveError(
      'INVALID_ARGUMENT',
      `--wait: expected a number of seconds, got ${value} (to wait as long as it takes, put --wait after the other arguments)`,
    );
  return seconds;
}

function materializedTable(results: readonly ViewMaterialization[], seconds: number): SummaryTable {
  const rows = results.reduce((n, r) => n + r.rows, 0);
  const written = results.reduce((n, r) => n + r.written, 0);
  const starts = new Set(results.map((r) => r.start));
  const ends = new Set(results.map((r) => r.end));
  const shared = starts.size === 1 && ends.size === 1;
  const range = (r: ViewMaterialization) => `${r.start ?? 'the beginning'} to ${r.end}`;
  return {
    title:
      `Materialized ${results.length} view${results.length === 1 ? '' : 's'} into the online store: ${formatCount(rows)} rows in ${formatSeconds(seconds)}` +
      (shared && results[0] ? `\nEvent times from ${range(results[0])}` : ''),
    columns: [
      { header: 'view' },
      ...(shared ? [] : [{ header: 'event times' }]),
      { header: 'rows', align: 'right' as const },
      { header: 'written', align: 'right' as const },
      { header: 'time', align: 'right' as const },
      { header: 'rows/s', align: 'right' as const },
      { header: 'watermark' },
    ],
    rows: results.map((r) => [
      r.view,
      ...(shared ? [] : [range(r)]),
      formatCount(r.rows),
      formatCount(r.written),
      formatSeconds(r.seconds),
      formatRate(r.rows, r.seconds),
      // To the second: the table stays within 80 columns.
      r.watermark?.replace(/\.\d+Z$/, 'Z') ?? 'unset',
    ]),
    total: [
      'total',
      ...(shared ? [] : ['']),
      formatCount(rows),
      formatCount(written),
      formatSeconds(seconds),
      formatRate(rows, seconds),
    ],
  };
}

/**
 * Runs a materialization with the reporter's progress and log, then reports what it did: a line
 * per view (the table on a terminal).
 */
export async function reportMaterialized(
  reporter: Reporter,
  run: (output: { log: MaterializeLog; progress: ProgressReporter }) => Promise<ViewMaterialization[]>,
): Promise<void> {
  const started = Date.now();
  try {
    const results = await run({ log: reporterLog(reporter), progress: materializeProgress(reporter) });
    if (results.length === 0) {
      reporter.result({ lines: ['No online views to materialize.'] });
      return;
    }
    reporter.result({
      lines: results.map(
        (r) =>
          `${r.view}: ${r.rows} rows from ${r.start ?? 'the beginning'} to ${r.end} in ${r.seconds.toFixed(1)} s; watermark ${r.watermark ?? 'unset'}`,
      ),
      table: materializedTable(results, (Date.now() - started) / 1000),
    });
  } finally {
    reporter.close();
  }
}

/**
 * `trove materialize START END [--views a,b] [--wait [SECONDS]]`: offline rows with event time in
 * [START, END] to Redis.
 */
export function registerMaterializeCommand(program: Command): void {
  withRepoOption(
    program
      .command('materialize')
      .description('load offline rows with event time in [START, END] into the online store')
      .argument('<start>', 'ISO 8601 start (UTC without a zone)')
      .argument('<end>', 'ISO 8601 end (UTC without a zone), or now')
      .option('--views <names>', 'comma-separated views (default: every online view)')
      .option('--wait [seconds]', WAIT_HELP)
      .option('--skip-checks', SKIP_CHECKS_HELP)
      .option('--distributed', DISTRIBUTED_HELP)
      .option('--slices <n>', SLICES_HELP),
  ).action(async (start: string, end: string, options: MaterializeCliOptions, command: Command) => {
    const wait = parseWait(options.wait);
    const distributed = parseDistributed(options);
    const reporter = await openReporter(command);
    const [{ FeatureStore }, { parseCliTime, parseViewList }] = await Promise.all([
      import('../../feature-store.ts'),
      import('./cli-time.ts'),
    ]);
    const store = await FeatureStore.open(options.repo);
    try {
      const range = { start: parseCliTime(start, 'START'), end: parseCliTime(end, 'END') };
      reporter.log('debug', 'materializing', { repo: store.config.repoDir, ...range, wait });
      await reportMaterialized(reporter, (output) =>
        store.materialize({
          ...range,
          views: parseViewList(options.views),
          wait,
          skipChecks: options.skipChecks === true,
          distributed,
          ...output,
        }),
      );
    } finally {
      await store.close();
    }
  });
}
