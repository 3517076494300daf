import type { Command } from 'commander';
import { openReporter } from '../output/reporter.ts';
import { withRepoOption } from '../repo-option.ts';
import { SKIP_CHECKS_HELP } from './compute.ts';
import {
  DISTRIBUTED_HELP,
  type MaterializeCliOptions,
  parseDistributed,
  parseWait,
  reportMaterialized,
  SLICES_HELP,
  WAIT_HELP,
} from './materialize.ts';

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
      .option('--wait [seconds]', WAIT_HELP)
      .option('--skip-checks', SKIP_CHECKS_HELP)
      .option('--distributed', DISTRIBUTED_HELP)
      .option('--slices <n>', SLICES_HELP),
  ).action(async (end: string, options: MaterializeCliOptions, command: Command) => {
    const wait = parseWait(options.wait);
    const distributed = parseDistributed(options);
    const reporter = await openReporter(command);
    const [{ FeatureStore }, { parseCliTime, parseViewList }] = await Promise.all([
      import('../../feature-store.ts'),
      import('./cli-time.ts'),
    ]);
    const store = await FeatureStore.open(options.repo);
    try {
      const until = parseCliTime(end, 'END');
      reporter.log('debug', 'materializing from the watermarks', {
        repo: store.config.repoDir,
        end: until,
        wait,
      });
      await reportMaterialized(reporter, (output) =>
        store.materializeIncremental({
          end: until,
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
