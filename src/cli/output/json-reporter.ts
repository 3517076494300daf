/**
 * The reporter for machines: one JSON object a line on stderr, each with its time, and the result's
 * plain lines on stdout. Progress events and info lines keep the shapes scripts already parse; a
 * debug or warn line says its level.
 */
import type { OutputSettings } from './output-settings.ts';
import {
  type CommandResult,
  type LogLevel,
  type ProgressBar,
  type Reporter,
  type ReporterStreams,
  shows,
} from './reporter.ts';

const NO_BAR: ProgressBar = { update() {}, increment() {}, setTotal() {}, done() {} };

export class JsonReporter implements Reporter {
  constructor(
    readonly settings: OutputSettings,
    private readonly streams: ReporterStreams,
  ) {}

  private line(fields: Record<string, unknown>): void {
    this.streams.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
  }

  event(fields: Record<string, unknown>): void {
    if (shows(this.settings, 'info')) this.line(fields);
  }

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (!shows(this.settings, level)) return;
    this.line(level === 'info' ? { msg: message, ...fields } : { level, msg: message, ...fields });
  }

  bar(): ProgressBar {
    return NO_BAR;
  }

  result(result: CommandResult): void {
    for (const line of result.lines) this.streams.stdout.write(`${line}\n`);
  }

  close(): void {}
}
