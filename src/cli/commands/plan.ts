import type { Command } from 'commander';
import { loadConfig } from '../../config/trove-config.ts';
import { planRepo } from '../../registry/apply-repo.ts';
import { formatPlan } from '../../registry/plan.ts';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/** `trove plan`: validates the repo and prints what `apply` would create, change and delete. */
export function registerPlanCommand(program: Command): void {
  withRepoOption(
    program.command('plan').description('validate the repo and show what apply would change'),
  ).action(async (options: RepoOptions) => {
    const config = await loadConfig(options.repo);
    const { current, plan } = await planRepo(config);
    process.stdout.write(`Plan for project ${config.project} (registry version ${current.version}):\n`);
    process.stdout.write(`${formatPlan(plan)}\n`);
  });
}
