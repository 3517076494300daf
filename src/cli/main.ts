import { Command, CommanderError } from 'commander';
import { DefinitionError } from '../definitions/definition-problem.ts';
import { registerApplyCommand } from './commands/apply.ts';
import { registerCheckConsistencyCommand } from './commands/check-consistency.ts';
import { registerComputeCommand } from './commands/compute.ts';
import { registerDatasetsCommand } from './commands/datasets.ts';
import { registerDriftCommand } from './commands/drift.ts';
import { registerGcCommand } from './commands/gc.ts';
import { registerHistoricalCommand } from './commands/historical.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerMaterializeCommand } from './commands/materialize.ts';
import { registerMaterializeIncrementalCommand } from './commands/materialize-incremental.ts';
import { registerOnlineCommand } from './commands/online.ts';
import { registerPlanCommand } from './commands/plan.ts';
import { registerRegistryDumpCommand } from './commands/registry-dump.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerStatsCommand } from './commands/stats.ts';
import { registerTeardownCommand } from './commands/teardown.ts';
import { addOutputOptions } from './output/output-settings.ts';

/** Builds the `trove` program; each command lives in its own module under commands/. */
export function buildProgram(): Command {
  const program = new Command('trove')
    .description('Trove feature store: definitions, training datasets, online features.')
    .showSuggestionAfterError()
    .exitOverride();
  addOutputOptions(program);
  registerInitCommand(program);
  registerPlanCommand(program);
  registerApplyCommand(program);
  registerRegistryDumpCommand(program);
  registerMaterializeCommand(program);
  registerMaterializeIncrementalCommand(program);
  registerOnlineCommand(program);
  registerTeardownCommand(program);
  registerComputeCommand(program);
  registerHistoricalCommand(program);
  registerStatsCommand(program);
  registerDriftCommand(program);
  registerCheckConsistencyCommand(program);
  registerDatasetsCommand(program);
  registerGcCommand(program);
  registerServeCommand(program);
  return program;
}

/** Formats any error as the reason the command failed: one line, or a list of definition problems. */
export function describeFailure(err: unknown): string {
  if (err instanceof DefinitionError) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv as string[]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`trove: ${describeFailure(err)}\n`);
    return 1;
  }
}
