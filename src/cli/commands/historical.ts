import type { Command } from 'commander';
import { TroveError } from '../../errors.ts';
import type { DistributedHistoricalOptions } from '../../offline/distributed-historical/historical-job-coordinator.ts';
import type { Dataset } from '../../offline/lineage/build-dataset.ts';
import { openReporter, type ProgressBar, type Reporter } from '../output/reporter.ts';
import { formatCount, formatRate, formatSeconds } from '../output/summary-table.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

interface HistoricalCliOptions extends RepoOptions {
  entities: string;
  features?: string;
  service?: string;
  fullFeatureNames?: boolean;
  out: string;
  name?: string;
  distributed?: boolean;
  /** false with --no-statistics. */
  statistics?: boolean;
  shards?: string;
}

/**
 * Waits for the statistics of the dataset's columns to be added to its manifest, showing it; a
 * failure is a warning, not an error: the dataset and its lineage are in place, and the
 * statistics are computed from the file when asked.
 */
async function recordStatistics(reporter: Reporter, dataset: Dataset): Promise<void> {
  if (dataset.format === 'arrow') return;
  const bar = reporter.bar({ label: 'statistics', total: undefined, unit: 'columns' });
  try {
    const manifest = await dataset.statisticsRecorded;
    if (!manifest.statistics) return bar.done('none');
    const columns = manifest.statistics.features.length;
    bar.update(columns);
    bar.done('recorded in the manifest');
    reporter.event({ step: 'statistics', dataset: manifest.id, columns });
  } catch (err) {
    bar.done('not recorded');
    reporter.log(
      'warn',
      'the statistics of the dataset could not be recorded; they are computed when asked',
      {
        dataset: dataset.manifest.id,
        error: err instanceof Error ? err.message : String(err),
      },
    );
  }
}

/** `--distributed [--shards N]` as the library takes it, with progress shown by the reporter. */
function distributedOptions(
  options: HistoricalCliOptions,
  reporter: Reporter,
  bar: ProgressBar,
): DistributedHistoricalOptions | undefined {
  if (options.shards !== undefined && !options.distributed)
    throw new TroveError('INVALID_ARGUMENT', '--shards: only with --distributed');
  if (!options.distributed) return undefined;
  const shards = options.shards === undefined ? undefined : Number(options.shards);
  let done = 0;
  return {
    ...(shards === undefined ? {} : { shards }),
    log: (message, fields) => reporter.log('info', message, fields),
    progress: {
      start({ shards: count, rows }) {
        bar.setTotal(rows);
        bar.update(0, `joining in ${count} shards`);
      },
      taken: (fields) =>
        reporter.log('debug', 'shard taken', {
          shard: `${fields.index + 1}/${fields.count}`,
          attempt: fields.attempt,
        }),
      shard(fields) {
        done += fields.rows;
        bar.update(done);
        reporter.log('info', 'shard done', {
          shard: `${fields.index + 1}/${fields.count}`,
          rows: fields.rows,
          seconds: fields.seconds,
        });
      },
      merging: () => bar.update(done, 'merging the shards'),
    },
  };
}

/**
 * `trove historical`: a point-in-time-correct training dataset from an entity file. The output
 * appears only when complete (it is written beside the target and renamed).
 */
export function registerHistoricalCommand(program: Command): void {
  withRepoOption(
    program
      .command('historical')
      .description('build a training dataset with point-in-time-correct features')
      .requiredOption('--entities <file>', 'entity table: .parquet or .csv')
      .option('--features <refs>', 'comma-separated feature references (view:feature or view:*)')
      .option('--service <name>', 'a feature service instead of --features')
      .option('--full-feature-names', 'name columns view__feature')
      .requiredOption('--out <file>', 'output file: .parquet, .csv or .arrow')
      .option('--name <name>', 'a name to find the dataset by in the catalog (trove datasets)')
      .option(
        '--no-statistics',
        'record no column statistics in the manifest (computed from the file when asked; saves a scan of it)',
      )
      .option(
        '--distributed',
        'split the entity table by entity hash into shards for `npm run materializer -- --mode shards` processes to join',
      )
      .option(
        '--shards <n>',
        'with --distributed: buckets to split the entity table into (default: one per listening worker, up to 16)',
      ),
  ).action(async (options: HistoricalCliOptions, command: Command) => {
    if ((options.features === undefined) === (options.service === undefined)) {
      throw new TroveError('INVALID_REQUEST', 'give either --features or --service');
    }
    const started = Date.now();
    const reporter = await openReporter(command);
    const { FeatureStore } = await import('../../feature-store.ts');
    const store = await FeatureStore.open(options.repo);
    // The join is one query: the bar shows its time running, then the rows written.
    const bar = reporter.bar({ label: 'training dataset', total: undefined, unit: 'rows' });
    try {
      const distributed = distributedOptions(options, reporter, bar);
      const features = options.features
        ?.split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      reporter.log('debug', 'building a training dataset', {
        repo: store.config.repoDir,
        entities: options.entities,
        ...(features ? { features } : { service: options.service }),
        out: options.out,
      });
      reporter.event({ step: 'joining' });
      bar.update(0, `joining ${options.service ?? `${features?.length ?? 0} features`}`);
      const result = await store.getHistoricalFeatures({
        entities: options.entities,
        ...(features ? { features } : {}),
        ...(options.service !== undefined ? { service: options.service } : {}),
        fullFeatureNames: options.fullFeatureNames ?? false,
        out: options.out,
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(distributed ? { distributed } : {}),
        ...(options.statistics === false ? { statistics: false } : {}),
      });
      const ms = Date.now() - started;
      bar.update(result.rows);
      bar.done(`written as ${result.format}`);
      reporter.event({ step: 'written', rows: result.rows, path: result.path, ms });
      const dataset = `${result.manifest.id}${result.manifest.name ? ` (${result.manifest.name})` : ''}`;
      if (options.statistics !== false) await recordStatistics(reporter, result);
      reporter.result({
        lines: [
          `${result.path}: ${result.rows} rows`,
          `dataset ${dataset}, sha256 ${result.manifest.output.sha256}`,
        ],
        table: {
          title: `Training dataset ${dataset}: ${formatCount(result.rows)} rows in ${formatSeconds(ms / 1000)}\nsha256 ${result.manifest.output.sha256}`,
          columns: [
            { header: 'file' },
            { header: 'format' },
            { header: 'rows', align: 'right' },
            { header: 'time', align: 'right' },
            { header: 'rows/s', align: 'right' },
          ],
          rows: [
            [
              result.path,
              result.format,
              formatCount(result.rows),
              formatSeconds(ms / 1000),
              formatRate(result.rows, ms / 1000),
            ],
          ],
        },
      });
    } finally {
      reporter.close();
      await store.close();
    }
  });
}
