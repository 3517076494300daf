/**
 * How a command speaks: for people (progress bars, a summary table) or for machines (JSON lines),
 * and how much. Chosen by the global options `--log-format`, `--quiet` and `--verbose`.
 */
import { type Command, Option } from 'commander';
import { TroveError } from '../../errors.ts';

/** `auto` is `pretty` when both stdout and stderr are terminals, `json` otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** quiet: errors and the result only; verbose: debug lines too. */
export type Verbosity = 'quiet' | 'normal' | 'verbose';

export interface OutputSettings {
  format: 'json' | 'pretty';
  verbosity: Verbosity;
}

interface GlobalOutputOptions {
  logFormat?: LogFormat;
  quiet?: boolean;
  verbose?: boolean;
}

const FORMATS: readonly LogFormat[] = ['auto', 'json', 'pretty'];

/**
 * Adds the output options to the program; commander accepts them before or after the command, and
 * each command's help lists them (for commands added after this).
 */
export function addOutputOptions(program: Command): Command {
  let started = 0;
  return program
    .configureHelp({ showGlobalOptions: true })
    .hook('preAction', async (_program, action) => {
      // Checked for every command, and with --verbose every command says what it runs and when done.
      const settings = outputSettings(action);
      started = performance.now();
      if (settings.verbosity !== 'verbose') return;
      const { createReporter } = await import('./reporter.ts');
      (await createReporter(settings)).log('debug', 'running', {
        command: action.name(),
        args: action.args,
        options: action.opts(),
      });
    })
    .hook('postAction', async (_program, action) => {
      const settings = outputSettings(action);
      if (settings.verbosity !== 'verbose') return;
      const { createReporter } = await import('./reporter.ts');
      (await createReporter(settings)).log('debug', 'done', {
        command: action.name(),
        ms: Math.round(performance.now() - started),
      });
    })
    .addOption(
      new Option('--log-format <format>', 'auto: bars and a summary on a terminal, JSON lines otherwise')
        .choices(FORMATS)
        .default('auto'),
    )
    .option('-q, --quiet', 'print only errors and the result')
    .option('-v, --verbose', 'print debug lines too');
}

/**
 * Whether both output streams are terminals that can draw, as `auto` decides: a dumb terminal
 * (TERM=dumb, as in some editors' shells) cannot move its cursor back over a bar.
 */
export function onTerminal(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.stdout.isTTY === true && process.stderr.isTTY === true && env.TERM !== 'dumb';
}

/** The settings of the command being run, from the program's options. */
export function outputSettings(command: Command, terminal: boolean = onTerminal()): OutputSettings {
  const options = command.optsWithGlobals<GlobalOutputOptions>();
  if (options.quiet && options.verbose)
    throw new TroveError('INVALID_ARGUMENT', '--quiet and --verbose: give one or the other');
  const format = options.logFormat ?? 'auto';
  return {
    format: format === 'auto' ? (terminal ? 'pretty' : 'json') : format,
    verbosity: options.quiet ? 'quiet' : options.verbose ? 'verbose' : 'normal',
  };
}
