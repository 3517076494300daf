import type { Command } from 'commander';
import { TroveError } from '../../errors.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

interface HistoricalCliOptions extends RepoOptions {
  entities: string;
  features?: string;
  service?: string;
  fullFeatureNames?: boolean;
  out: string;
  name?: string;
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
      .option('--name <name>', 'a name to find the dataset by in the catalog (trove datasets)'),
  ).action(async (options: HistoricalCliOptions) => {
    if ((options.features === undefined) === (options.service === undefined)) {
      throw new TroveError('INVALID_REQUEST', 'give either --features or --service');
    }
    const started = Date.now();
    const log = (step: string, extra: Record<string, unknown> = {}) => {
      if (!process.stderr.isTTY) {
        process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), step, ...extra })}\n`);
      } else process.stderr.write(`${step}${extra.rows !== undefined ? `: ${extra.rows} rows` : ''}\n`);
    };
    const { FeatureStore } = await import('../../feature-store.ts');
    const store = await FeatureStore.open(options.repo);
    try {
      log('joining');
      const features = options.features
        ?.split(',')
        .map((f) => f.trim())
        .filter(Boolean);
      const result = await store.getHistoricalFeatures({
        entities: options.entities,
        ...(features ? { features } : {}),
        ...(options.service !== undefined ? { service: options.service } : {}),
        fullFeatureNames: options.fullFeatureNames ?? false,
        out: options.out,
        ...(options.name !== undefined ? { name: options.name } : {}),
      });
      log('written', { rows: result.rows, path: result.path, ms: Date.now() - started });
      process.stdout.write(`${result.path}: ${result.rows} rows\n`);
      process.stdout.write(
        `dataset ${result.manifest.id}${result.manifest.name ? ` (${result.manifest.name})` : ''}, sha256 ${result.manifest.output.sha256}\n`,
      );
    } finally {
      await store.close();
    }
  });
}
