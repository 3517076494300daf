import type { Command } from 'commander';
import { FeatureStore } from '../../feature-store.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';
import { parseCliTime, parseViewList } from './cli-time.ts';
import { printMaterialized } from './materialize.ts';

/** `trove materialize-incremental END [--views a,b]`: from each view's watermark to END. */
export function registerMaterializeIncrementalCommand(program: Command): void {
  withRepoOption(
    program
      .command('materialize-incremental')
      .description("load each view's rows from its watermark (less the late-arrival window) to END")
      .argument('<end>', 'ISO 8601 end (UTC without a zone), or now')
      .option('--views <names>', 'comma-separated views (default: every online view)'),
  ).action(async (end: string, options: RepoOptions & { views?: string }) => {
    const store = await FeatureStore.open(options.repo);
    try {
      printMaterialized(
        await store.materializeIncremental({
          end: parseCliTime(end, 'END'),
          views: parseViewList(options.views),
        }),
      );
    } finally {
      await store.close();
    }
  });
}
