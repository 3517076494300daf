import type { Command } from 'commander';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/** `trove apply`: validates the repo, checks its sources, and registers it atomically. */
export function registerApplyCommand(program: Command): void {
  withRepoOption(program.command('apply').description('validate the repo and register it')).action(
    async (options: RepoOptions) => {
      const [{ loadConfig }, { applyRepo }, { formatPlan }, { listDefinitionFiles }, { writeTypesShim }] =
        await Promise.all([
          import('../../config/trove-config.ts'),
          import('../../registry/apply-repo.ts'),
          import('../../registry/plan.ts'),
          import('../../definitions/load-definitions.ts'),
          import('../../definitions/typescript-types-shim.ts'),
        ]);
      const config = await loadConfig(options.repo);
      const result = await applyRepo(config);
      // An editor resolves 'trove' through the shim; a fresh clone of a repo gets it on its first apply.
      if ((await listDefinitionFiles(config.repoDir)).some((f) => /\.m?ts$/.test(f))) {
        await writeTypesShim(config.repoDir);
      }
      if (!result.changed) {
        process.stdout.write(
          `No changes: registry of ${config.project} stays at version ${result.current.version}.\n`,
        );
        return;
      }
      process.stdout.write(`${formatPlan(result.plan)}\n`);
      process.stdout.write(
        `Applied: registry of ${config.project} is now version ${result.applied.version} (${result.applied.hash.slice(0, 12)}).\n`,
      );
    },
  );
}
