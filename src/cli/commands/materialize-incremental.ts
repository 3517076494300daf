import type { Command } from 'commander';
import { withRepoOption } from '../repo-option.ts';
import { type MaterializeCliOptions, parseWait, printMaterialized, WAIT_HELP } from './materialize.ts';

/**
 * `trove materialize-incremental END [--views a,b] [--wait [SECONDS]]`: from each view's watermark
 * to END.
 */
export function registerMaterializeIncrementalCommand(program: Command): void {
  withRepoOption(
    program
      .command('materialize-incremental')
      .description("load each view's rows from its watermark (less the late-arrival window) to END")
      .argument('<end>', 'ISO 8601 end (UTC without a zone), or now')
      .option('--views <names>', 'comma-separated views (default: every online view)')
      .option('--wait [seconds]', WAIT_HELP),
  ).action(async (end: string, options: MaterializeCliOptions) => {
    const wait = parseWait(options.wait);
    const [{ FeatureStore }, { parseCliTime, parseViewList }] = await Promise.all([
      import('../../feature-store.ts'),
      import('./cli-time.ts'),
    ]);
    const store = await FeatureStore.open(options.repo);
    try {
      printMaterialized(
        await store.materializeIncremental({
          end: parseCliTime(end, 'END'),
          views: parseViewList(options.views),
          wait,
        }),
      );
    } finally {
      await store.close();
    }
  });
}
