import type { Command } from 'commander';
import type { FeatureSummary, StatisticsSummary } from '../../offline/statistics/feature-statistics.ts';
import type { ViewStatistics } from '../../offline/statistics/view-statistics.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

interface StatsCliOptions extends RepoOptions {
  start?: string;
  end?: string;
  json?: boolean;
}

/** A number in at most 6 significant digits; int64 text and ISO times as they are. */
function shown(value: number | string | null): string {
  if (value === null) return '-';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return Number(value.toPrecision(6)).toString();
}

function columns(header: readonly string[], rows: readonly string[][], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

const BARS = ' ▁▂▃▄▅▆▇█';

/** A histogram as one line of bars, lowest values first. */
function sparkline(bins: readonly { count: number }[]): string {
  const most = Math.max(...bins.map((b) => b.count));
  return bins.map((b) => BARS[b.count === 0 ? 0 : Math.max(1, Math.round((b.count / most) * 8))]).join('');
}

/** The detail line of a feature: quantiles and histogram, or top values. */
function detail(f: FeatureSummary): string | undefined {
  if (f.quantiles) {
    const q = Object.entries(f.quantiles)
      .map(([k, v]) => `${k} ${shown(v)}`)
      .join('  ');
    const h = f.histogram && f.histogram.length > 0 ? `  |${sparkline(f.histogram)}|` : '';
    return `${f.name}: ${q}${h}`;
  }
  if (f.topValues && f.topValues.length > 0) {
    const top = f.topValues.map((t) => `${t.value} (${t.count})`).join(', ');
    return `${f.name}: top ${top}${f.topValuesExact ? '' : ' (counts may be low: see docs/monitoring.md)'}`;
  }
  return undefined;
}

/** Statistics for people: one line per feature, then quantiles and histograms or top values. */
export function summaryLines(stats: StatisticsSummary): string[] {
  const header = ['feature', 'type', 'count', 'nulls', 'null %', 'distinct', 'min', 'max', 'mean', 'stddev'];
  const rows = stats.features.map((f) => [
    f.name,
    f.type,
    String(f.count),
    String(f.nulls),
    f.nullFraction === null ? '-' : `${(f.nullFraction * 100).toFixed(1)}`,
    `~${f.distinct}`,
    shown(f.min),
    shown(f.max),
    shown(f.mean),
    shown(f.stddev),
  ]);
  const details = stats.features.map(detail).filter((d): d is string => d !== undefined);
  return [
    ...columns(header, rows, new Set([2, 3, 4, 5, 8, 9])).map((l) => `  ${l}`),
    ...(details.length > 0 ? ['', ...details.map((d) => `  ${d}`)] : []),
  ];
}

/** A view's statistics for people. */
export function statisticsText(stats: ViewStatistics): string {
  const range = stats.from
    ? `partitions ${stats.from} to ${stats.to} (${stats.partitions})`
    : 'no partitions';
  return [
    `Statistics of ${stats.view}: ${stats.rows} rows, ${range}`,
    ...summaryLines(stats),
    ...(stats.describedOnRead.length > 0
      ? [`(${stats.describedOnRead.length} partitions had no up-to-date statistics and were read now)`]
      : []),
  ].join('\n');
}

/** `trove stats VIEW [--start T --end T] [--json]`: a view's statistics, merged over its partitions. */
export function registerStatsCommand(program: Command): void {
  withRepoOption(
    program
      .command('stats')
      .description("show a feature view's statistics, merged over its partitions")
      .argument('<view>', 'feature view')
      .option('--start <time>', 'ISO 8601: partitions (UTC days) holding event times from this, inclusive')
      .option('--end <time>', 'ISO 8601: partitions (UTC days) holding event times before this')
      .option('--json', 'print the statistics as JSON'),
  ).action(async (view: string, options: StatsCliOptions) => {
    const [{ FeatureStore }, { viewStatistics }, { parseTimestamp }] = await Promise.all([
      import('../../feature-store.ts'),
      import('../../offline/statistics/view-statistics.ts'),
      import('../../offline/parse-timestamp.ts'),
    ]);
    const store = await FeatureStore.open(options.repo);
    try {
      const stats = await viewStatistics(store.config, await store.registry(), view, {
        ...(options.start !== undefined ? { start: parseTimestamp(options.start, '--start') } : {}),
        ...(options.end !== undefined ? { end: parseTimestamp(options.end, '--end') } : {}),
      });
      process.stdout.write(
        options.json ? `${JSON.stringify(stats, null, 2)}\n` : `${statisticsText(stats)}\n`,
      );
    } finally {
      await store.close();
    }
  });
}
