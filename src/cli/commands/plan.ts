import type { Command } from 'commander';

export function registerPlanCommand(program: Command): void {
  program.command('plan');
}
