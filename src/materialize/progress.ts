/**
 * Progress of a materialization as events: the run reports each view's start, rows written and end
 * to a ProgressReporter, which decides how to show them (the CLI draws bars on a terminal; the
 * default writes a log line every few seconds with rows per second, and one at the end of each
 * view). Nothing here knows about terminals.
 */

/** Structured log sink: a message and fields (the worker passes pino; the CLI writes lines). */
export type MaterializeLog = (message: string, fields: Record<string, unknown>) => void;

/** What a view's run did, as reported at its end. */
export interface ViewProgressEnd {
  rows: number;
  written: number;
  seconds: number;
  rowsPerSecond: number;
  watermark: string | null;
}

/** A shard of a distributed run that finished (see distributed/). */
export interface ShardProgressEnd {
  view: string;
  /** Partition day the shard read. */
  day: string;
  /** Position of the shard in the view's run, from 0, and the run's shard count. */
  index: number;
  count: number;
  rows: number;
  written: number;
  /** From queueing to the end. */
  seconds: number;
}

/** Listener of a run's progress, view after view. */
export interface ProgressReporter {
  /**
   * Set when a row total is shown (a bar with a percentage): each view's rows are then counted
   * before streaming, one query more per view.
   */
  readonly wantsTotal?: boolean;
  /** The views the run covers, in order, once their locks are held. */
  begin?(views: readonly string[]): void;
  /** A view starts; `total` is its row count when known. */
  start(view: string, total: number | undefined): void;
  /** Rows of the current view written. */
  advance(rows: number): void;
  /** A shard of the current view finished (distributed runs only). */
  shard?(fields: ShardProgressEnd): void;
  finish(fields: ViewProgressEnd): void;
}

export function stderrLog(message: string, fields: Record<string, unknown>): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg: message, ...fields })}\n`);
}

const LOG_EVERY_MS = 5000;

/**
 * Progress as log lines: `materializing` with rows and rows per second every `everyMs` (every
 * write when 0), and `materialized view` at the end of each view.
 */
export function logProgress(log: MaterializeLog, everyMs: number = LOG_EVERY_MS): ProgressReporter {
  let view = '';
  let rows = 0;
  let started = 0;
  let lastLog = 0;
  return {
    start(name) {
      view = name;
      rows = 0;
      started = lastLog = Date.now();
    },
    advance(n) {
      rows += n;
      const now = Date.now();
      if (now - lastLog < everyMs) return;
      lastLog = now;
      const rowsPerSecond = Math.round(rows / Math.max((now - started) / 1000, 0.001));
      log('materializing', { view, rows, rowsPerSecond });
    },
    shard(fields) {
      log('shard done', {
        view: fields.view,
        day: fields.day,
        shard: `${fields.index + 1}/${fields.count}`,
        rows: fields.rows,
        seconds: fields.seconds,
        totalRows: rows,
      });
    },
    finish(fields) {
      log('materialized view', { view, ...fields });
    },
  };
}
