/** The `trove` command as a drill step: run to completion, and fail the drill if it fails. */
import { runCli } from '../../tests/helpers/run-cli.ts';

/** Runs `trove ...args` in its own process; resolves to its stdout, rejects with its stderr. */
export async function trove(args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runCli(args, env);
  if (result.code !== 0) {
    throw new Error(`trove ${args.join(' ')} exited with ${result.code}: ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}
