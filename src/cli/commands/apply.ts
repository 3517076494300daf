import type { Command } from 'commander';
import { loadConfig } from '../../config/trove-config.ts';
import { applyRepo } from '../../registry/apply-repo.ts';
import { formatPlan } from '../../registry/plan.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/** `trove apply`: validates the repo, checks its sources, and registers it atomically. */
export function registerApplyCommand(program: Command): void {
  withRepoOption(program.command('apply').description('validate the repo and register it')).action(
    async (options: RepoOptions) => {
      const config = await loadConfig(options.repo);
      const result = await applyRepo(config);
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
