import type { Command } from 'commander';
import { type RepoOptions, withRepoOption } from '../repo-option.ts';

/** `trove plan`: validates the repo and prints what `apply` would create, change and delete. */
export function registerPlanCommand(program: Command): void {
  withRepoOption(
    program.command('plan').description('validate the repo and show what apply would change'),
  ).action(async (options: RepoOptions) => {
    const [{ loadConfig }, { planRepo }, { formatPlan }] = await Promise.all([
      import('../../config/trove-config.ts'),
      import('../../registry/apply-repo.ts'),
      import('../../registry/plan.ts'),
    ]);
    const config = await loadConfig(options.repo);
    const { current, plan } = await planRepo(config);
    process.stdout.write(`Plan for project ${config.project} (registry version ${current.version}):\n`);
    process.stdout.write(`${formatPlan(plan)}\n`);
  });
}
