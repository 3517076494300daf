import type { Command } from 'commander';

export function registerApplyCommand(program: Command): void {
  program.command('apply');
}
