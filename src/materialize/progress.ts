/**
 * Progress of a materialization: a bar on a terminal, otherwise a log line every few seconds with
 * rows per second, and one at the end of each view.
 */
import cliProgress from 'cli-progress';

/** Structured log sink: a message and fields (the worker passes pino; the CLI writes lines). */
export type MaterializeLog = (message: string, fields: Record<string, unknown>) => void;

export interface ProgressReporter {
  start(view: string, total: number | undefined): void;
  advance(rows: number): void;
  finish(fields: Record<string, unknown>): void;
}

export function stderrLog(message: string, fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

const LOG_EVERY_MS = 5000;

export function createProgress(tty: boolean, log: MaterializeLog): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  let view = '';
  let rows = 0;
  let started = 0;
  let lastLog = 0;
  return {
    start(name, total) {
      view = name;
      rows = 0;
      started = lastLog = Date.now();
      if (tty && total !== undefined) {
        bar = new cliProgress.SingleBar(
          {
            format: `${name} [{bar}] {percentage}% {value}/{total} rows {speed} rows/s eta {eta}s`,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { speed: 0 });
      }
    },
    advance(n) {
      rows += n;
      const now = Date.now();
      const speed = Math.round(rows / Math.max((now - started) / 1000, 0.001));
      if (bar) bar.update(rows, { speed });
      else if (now - lastLog >= LOG_EVERY_MS) {
        lastLog = now;
        log('materializing', { view, rows, rowsPerSecond: speed });
      }
    },
    finish(fields) {
      bar?.stop();
      bar = undefined;
      log('materialized view', { view, ...fields });
    },
  };
}
