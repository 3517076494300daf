import type { Command } from 'commander';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/** `trove teardown`: removes the project's online data (values, watermarks, locks) from Redis. */
export function registerTeardownCommand(program: Command): void {
  withRepoOption(program.command('teardown').description("remove the project's online data")).action(
    async (options: RepoOptions) => {
      const { FeatureStore } = await import('../../feature-store.ts');
      const store = await FeatureStore.open(options.repo);
      try {
        const removed = await store.teardown();
        process.stdout.write(
          `Removed ${removed} keys of project ${store.config.project} from the online store.\n`,
        );
      } finally {
        await store.close();
      }
    },
  );
}
