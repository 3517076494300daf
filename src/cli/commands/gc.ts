import type { Command } from 'commander';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/**
 * `trove gc`: finishes interrupted partition swaps and removes retained partition versions older
 * than `offlineStore.retention` that no younger dataset read. Safe to kill and run again.
 */
export function registerGcCommand(program: Command): void {
  withRepoOption(
    program.command('gc').description('expire retained partition versions of the offline store'),
  ).action(async (options: RepoOptions) => {
    const { FeatureStore } = await import('../../feature-store.ts');
    const store = await FeatureStore.open(options.repo);
    try {
      const report = await store.gc();
      process.stdout.write(
        `removed ${report.removed} expired partition version${report.removed === 1 ? '' : 's'}; kept ${report.keptForDatasets} that younger datasets read and ${report.retained} within the retention period${
          report.swapsFinished.length > 0
            ? `; finished interrupted swaps of ${report.swapsFinished.join(', ')}`
            : ''
        }\n`,
      );
    } finally {
      await store.close();
    }
  });
}
