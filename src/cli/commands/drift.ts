import type { Command } from 'commander';
import { TroveError } from '../../errors.ts';
import type { DriftReport, FeatureDrift } from '../../offline/drift/compute-drift.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';
import { parseViewList } from './cli-time.ts';

interface DriftCliOptions extends RepoOptions {
  dataset: string;
  views: string;
  start?: string;
  end?: string;
  threshold?: string;
  bins?: string;
  json?: boolean;
}

function positiveNumber(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new TroveError('INVALID_ARGUMENT', `${what}: expected a positive number, got ${text}`);
  return n;
}

function psiText(f: FeatureDrift): string {
  return f.psi === null ? '-' : f.psi.toFixed(4);
}

/** The report as aligned columns, one feature per line, flagged ones marked. */
function driftTable(report: DriftReport): string {
  const header = ['view', 'feature', 'type', 'psi', 'threshold', 'training rows', 'recent rows', ''];
  const rows = report.features.map((f) => [
    f.view,
    f.feature,
    f.type,
    psiText(f),
    String(f.threshold),
    f.skipped ? '-' : String(f.expectedRows),
    f.skipped ? '-' : String(f.actualRows),
    f.flagged ? 'DRIFTED' : (f.skipped ?? 'ok'),
  ]);
  const right = new Set([3, 4, 5, 6]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const range = report.start || report.end ? ` over [${report.start ?? '…'}, ${report.end ?? '…'})` : '';
  return [
    `Drift of ${report.datasetId ? `dataset ${report.datasetId} (${report.dataset})` : report.dataset} against the offline store${range}:`,
    `  ${line(header)}`,
    ...rows.map((r) => `  ${line(r)}`),
    report.flagged > 0 ? `${report.flagged} flagged` : 'no feature drifted past its threshold',
  ].join('\n');
}

/**
 * `trove drift --dataset FILE_OR_ID --views a,b`: population stability index per feature between a
 * training dataset and recent offline data. Exits 1 when any feature is over its threshold, so CI
 * or a scheduler can act on it.
 */
export function registerDriftCommand(program: Command): void {
  withRepoOption(
    program
      .command('drift')
      .description('compare feature distributions of a training dataset with recent offline data')
      .requiredOption(
        '--dataset <file-or-id>',
        'training dataset: a .parquet or .csv file, or an id or name from the dataset catalog',
      )
      .requiredOption('--views <names>', 'comma-separated feature views to compare')
      .option('--start <time>', 'ISO 8601 start of recent data, inclusive (no zone: UTC)')
      .option('--end <time>', 'ISO 8601 end of recent data, exclusive (no zone: UTC)')
      .option('--threshold <psi>', 'flag features whose definition sets no driftThreshold above this', '0.2')
      .option('--bins <n>', 'quantile bins of numeric features', '10')
      .option('--json', 'print the report as JSON (as --log-format json does)'),
  ).action(async (options: DriftCliOptions, command: Command) => {
    // The report as JSON with --json, or when JSON output is asked for globally (--log-format json).
    const json =
      options.json === true || command.optsWithGlobals<{ logFormat?: string }>().logFormat === 'json';
    const views = parseViewList(options.views) ?? [];
    const threshold = positiveNumber(options.threshold, '--threshold');
    const bins = positiveNumber(options.bins, '--bins');
    const [{ FeatureStore }, { computeDrift }, { parseTimestamp }] = await Promise.all([
      import('../../feature-store.ts'),
      import('../../offline/drift/compute-drift.ts'),
      import('../../offline/parse-timestamp.ts'),
    ]);
    const store = await FeatureStore.open(options.repo);
    try {
      const report = await computeDrift(store.config, await store.registry(), {
        dataset: options.dataset,
        views,
        ...(options.start !== undefined ? { start: parseTimestamp(options.start, '--start') } : {}),
        ...(options.end !== undefined ? { end: parseTimestamp(options.end, '--end') } : {}),
        ...(threshold !== undefined ? { threshold } : {}),
        ...(bins !== undefined ? { bins } : {}),
      });
      process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : `${driftTable(report)}\n`);
      // Thrown after the report is out: the command fails with the reason on one line.
      if (report.flagged > 0)
        throw new TroveError(
          'DRIFT_DETECTED',
          `${report.flagged} feature${report.flagged === 1 ? '' : 's'} drifted past the threshold: ${report.features
            .filter((f) => f.flagged)
            .map((f) => `${f.view}:${f.feature} (psi ${psiText(f)} > ${f.threshold})`)
            .join(', ')}`,
        );
    } finally {
      await store.close();
    }
  });
}
