/**
 * The reporter for people at a terminal: progress bars on stderr (cli-progress), log lines as text
 * above them, and the result as a summary table on stdout. With `--log-format pretty` on streams
 * that are no terminal (a pipe, a test), it draws all the same, as a terminal would receive it.
 */
import cliProgress from 'cli-progress';
import type { OutputSettings } from './output-settings.ts';
import {
  type BarOptions,
  type CommandResult,
  type LogLevel,
  type ProgressBar,
  type Reporter,
  type ReporterStreams,
  shows,
} from './reporter.ts';
import { formatCount, formatSeconds, formatTable } from './summary-table.ts';

/** Width of the label column before each bar; longer labels push the bar right. */
const LABEL_WIDTH = 20;

interface BarPayload {
  label: string;
  labelWidth: number;
  unit: string;
  showRate: boolean;
  /** Whether the total is known (else only a count and a rate show). */
  known: boolean;
  status: string;
  /** Units per second so far, frozen at the end. */
  rate: number;
  seconds: number;
  finished: boolean;
}

/** A stream that says it is a terminal, for cli-progress to draw into a pipe when asked to. */
function asTerminal(stream: NodeJS.WritableStream): NodeJS.WritableStream {
  if ((stream as { isTTY?: boolean }).isTTY === true) return stream;
  return Object.assign(Object.create(stream) as NodeJS.WritableStream, {
    isTTY: true,
    columns: 100,
    write: (chunk: string | Uint8Array, ...rest: never[]) => stream.write(chunk, ...rest),
  });
}

function renderBar(options: cliProgress.Options, params: cliProgress.Params, payload: BarPayload): string {
  const label = payload.label.padEnd(payload.labelWidth);
  // Between updates the clock still runs: a long query shows its time going by.
  const seconds = payload.finished ? payload.seconds : (Date.now() - params.startTime) / 1000;
  const count =
    params.value > 0 || payload.known || payload.finished
      ? `  ${formatCount(params.value)} ${payload.unit}`
      : '';
  const rate = payload.showRate && payload.rate > 0 ? `  ${formatCount(payload.rate)}/s` : '';
  const status = payload.status ? `  ${payload.status}` : '';
  const tail = `${count}${rate}  ${formatSeconds(seconds)}${status}`;
  if (!payload.known) return `${label}${tail}`;
  // An empty run is complete once it finishes.
  const progress = params.total > 0 ? params.progress : payload.finished ? 1 : 0;
  const percent = `${Math.floor(progress * 100)}%`.padStart(4);
  return `${label} ${cliProgress.Format.BarFormat(progress, options)} ${percent}${tail}`;
}

function describe(level: LogLevel, message: string, fields: Record<string, unknown>): string {
  const details = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${level === 'info' ? '' : `${level}: `}${message}${details ? `  ${details}` : ''}`;
}

export class TtyReporter implements Reporter {
  /** Draws the bars; while it does, text goes above them through it. */
  private multi: cliProgress.MultiBar | undefined;

  constructor(
    readonly settings: OutputSettings,
    private readonly streams: ReporterStreams,
  ) {}

  private text(line: string): void {
    if (this.multi) this.multi.log(`${line}\n`);
    else this.streams.stderr.write(`${line}\n`);
  }

  event(fields: Record<string, unknown>): void {
    if (shows(this.settings, 'debug')) this.text(describe('debug', 'event', fields));
  }

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (shows(this.settings, level)) this.text(describe(level, message, fields));
  }

  bar(options: BarOptions): ProgressBar {
    if (this.settings.verbosity === 'quiet') return { update() {}, increment() {}, setTotal() {}, done() {} };
    this.multi ??= new cliProgress.MultiBar(
      {
        stream: asTerminal(this.streams.stderr),
        format: renderBar,
        barsize: 16,
        fps: 10,
        // Text written above the bars moves them down: each must be drawn again, changed or not.
        forceRedraw: true,
        clearOnComplete: false,
        hideCursor: false,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    const payload: BarPayload = {
      label: options.label,
      labelWidth: options.labelWidth ?? LABEL_WIDTH,
      unit: options.unit,
      showRate: options.rate ?? true,
      known: options.total !== undefined,
      status: '',
      rate: 0,
      seconds: 0,
      finished: false,
    };
    const bar = this.multi.create(options.total ?? 0, 0, payload);
    let value = 0;
    let finished = false;
    const move = (to: number, status: string | undefined): void => {
      if (finished) return;
      value = to;
      payload.seconds = (Date.now() - started) / 1000;
      payload.rate = payload.seconds > 0 ? value / payload.seconds : 0;
      if (status !== undefined) payload.status = status;
      bar.update(value, payload);
    };
    return {
      update: (to, status) => move(to, status),
      increment: (by, status) => move(value + by, status),
      setTotal: (total) => {
        payload.known = true;
        bar.setTotal(total);
      },
      done: (status) => {
        if (finished) return;
        move(payload.known ? Math.max(value, bar.getTotal()) : value, status);
        finished = true;
        payload.finished = true;
      },
    };
  }

  result(result: CommandResult): void {
    this.close();
    const text = result.table ? formatTable(result.table) : result.lines.join('\n');
    if (text) this.streams.stdout.write(`${text}\n`);
  }

  close(): void {
    const multi = this.multi;
    this.multi = undefined;
    // A last redraw writes the text still waiting above the bars; stopping alone would drop it.
    multi?.update();
    multi?.stop();
  }
}
