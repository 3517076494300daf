/**
 * What a command tells the person or program that runs it, apart from failures (main prints
 * those): progress, log lines and the result. Commands speak to a Reporter; the JSON one writes
 * the structured lines scripts parse, the terminal one draws bars and a summary table.
 */
import type { Command } from 'commander';
import { type OutputSettings, outputSettings } from './output-settings.ts';
import type { SummaryTable } from './summary-table.ts';

export type LogLevel = 'debug' | 'info' | 'warn';

/** One progress bar; one without a total counts up, with a rate, but no percentage. */
export interface ProgressBar {
  /** Moves to `value`, with a short status shown beside the bar. */
  update(value: number, status?: string): void;
  increment(by: number, status?: string): void;
  setTotal(total: number): void;
  /** Leaves the bar drawn at its end, with a last status. */
  done(status?: string): void;
}

export interface BarOptions {
  /** Shown before the bar, e.g. a view name. */
  label: string;
  /** Units to reach; undefined when unknown (a count and a rate, no percentage). */
  total: number | undefined;
  /** What is counted, e.g. "rows" or "views". */
  unit: string;
  /** Show units per second (default: yes; no for a few slow steps such as views). */
  rate?: boolean;
  /** Width the label is padded to, so the bars of a run line up. */
  labelWidth?: number;
}

/** A command's result: plain lines for machines, the same as a table for people. */
export interface CommandResult {
  lines: readonly string[];
  table?: SummaryTable;
}

export interface Reporter {
  readonly settings: OutputSettings;
  /**
   * A progress event of the command (a JSON line as it stands); a person sees it as bars instead,
   * so on a terminal it shows only with --verbose.
   */
  event(fields: Record<string, unknown>): void;
  /** A log line: `{time, msg, ...fields}` as JSON, a text line on a terminal. */
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
  /** A progress bar on a terminal; one that draws nothing otherwise or when quiet. */
  bar(options: BarOptions): ProgressBar;
  /** Prints the result on stdout, whatever the verbosity: the table on a terminal, else the lines. */
  result(result: CommandResult): void;
  /** Stops drawing bars, leaving them as they are (on failure too); safe to call more than once. */
  close(): void;
}

/** Streams a reporter writes to; the process's own by default. */
export interface ReporterStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Whether a log line of `level` shows at `settings`' verbosity. */
export function shows(settings: OutputSettings, level: LogLevel): boolean {
  if (settings.verbosity === 'quiet') return false;
  return level !== 'debug' || settings.verbosity === 'verbose';
}

/** The reporter for `settings`: the terminal one loads cli-progress only when used. */
export async function createReporter(
  settings: OutputSettings,
  streams: ReporterStreams = { stdout: process.stdout, stderr: process.stderr },
): Promise<Reporter> {
  if (settings.format === 'json') {
    const { JsonReporter } = await import('./json-reporter.ts');
    return new JsonReporter(settings, streams);
  }
  const { TtyReporter } = await import('./tty-reporter.ts');
  return new TtyReporter(settings, streams);
}

/** The reporter of the command being run, as the global options and the terminal decide. */
export async function openReporter(command: Command): Promise<Reporter> {
  return createReporter(outputSettings(command));
}
