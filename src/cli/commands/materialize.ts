import type { Command } from 'commander';
import { FeatureStore } from '../../feature-store.ts';
import type { ViewMaterialization } from '../../materialize/materialize.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';
import { parseCliTime, parseViewList } from './cli-time.ts';

export function printMaterialized(results: readonly ViewMaterialization[]): void {
  if (results.length === 0) process.stdout.write('No online views to materialize.\n');
  for (const r of results) {
    process.stdout.write(
      `${r.view}: ${r.rows} rows from ${r.start ?? 'the beginning'} to ${r.end} in ${r.seconds.toFixed(1)} s; watermark ${r.watermark ?? 'unset'}\n`,
    );
  }
}

/** `trove materialize START END [--views a,b]`: offline rows with event time in [START, END] to Redis. */
export function registerMaterializeCommand(program: Command): void {
  withRepoOption(
    program
      .command('materialize')
      .description('load offline rows with event time in [START, END] into the online store')
      .argument('<start>', 'ISO 8601 start (UTC without a zone)')
      .argument('<end>', 'ISO 8601 end (UTC without a zone), or now')
      .option('--views <names>', 'comma-separated views (default: every online view)'),
  ).action(async (start: string, end: string, options: RepoOptions & { views?: string }) => {
    const store = await FeatureStore.open(options.repo);
    try {
      const results = await store.materialize({
        start: parseCliTime(start, 'START'),
        end: parseCliTime(end, 'END'),
        views: parseViewList(options.views),
      });
      printMaterialized(results);
    } finally {
      await store.close();
    }
  });
}
