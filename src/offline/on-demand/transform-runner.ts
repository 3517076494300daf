/**
 * Runs on-demand views' transforms (SPEC §8) under a time limit, checking what they return.
 *
 * Transforms are code from the feature repo and run in this process with its rights; the limit
 * exists so a runaway transform fails its request instead of stopping the server. A synchronous
 * loop can only be stopped by V8 itself, so calls run inside `vm.Script#runInContext` with a
 * timeout, whose watchdog interrupts the running code. Starting that watchdog costs tens of
 * microseconds, so the calls queued within one turn of the event loop run under one watchdog: each
 * job still gets its own full limit (a timeout fails the job that was running only if it had used
 * its whole limit; the rest run again under a new watchdog).
 */
import vm from 'node:vm';
import { normalizeValue } from '../../definitions/input-values.ts';
import type { ValueType } from '../../definitions/value-type.ts';
import { TroveError } from '../../errors.ts';

/** A transform's row form: one row's inputs by name to its outputs by name. */
export type RowTransform = (row: Record<string, unknown>) => Record<string, unknown>;
/** A transform's column form: whole input columns to whole output columns. */
export type ColumnTransform = (columns: Record<string, unknown[]>, rows: number) => Record<string, unknown[]>;

/**
 * A column of numbers held unboxed: `valid[r]` is 0 where row r is null (no `valid`: no null).
 * Training datasets pass float and int32 inputs of row-form transforms this way and take their
 * outputs back this way, so a batch of rows allocates no number objects and no row arrays.
 */
export interface NumberColumn {
  numbers: Float64Array | Float32Array | Int32Array;
  valid?: Uint8Array;
}

/** Output columns, numeric ones unboxed where a job asked for `numberOutputs`. */
export type OutputColumns = (unknown[] | NumberColumn)[];

/** One call: a view's transform over some rows, given as input columns. */
export interface TransformJob {
  view: string;
  mode: 'row' | 'columns';
  transform: RowTransform | ColumnTransform;
  /** Input columns by name; NumberColumns only in row form. */
  columns: Record<string, unknown[] | NumberColumn>;
  rows: number;
  outputs: readonly { name: string; type: ValueType }[];
  /** Added to row numbers in errors: the job's first row in the request or dataset. */
  firstRow?: number;
  /** Row form: float64, float32 and int32 outputs come back as NumberColumns. */
  numberOutputs?: boolean;
}

export const isNumberColumn = (column: unknown[] | NumberColumn): column is NumberColumn =>
  !Array.isArray(column);

/** The unboxed array a number output of `type` is written to, or undefined for other types. */
function numberArrayOf(type: ValueType, rows: number): NumberColumn['numbers'] | undefined {
  if (type === 'float64') return new Float64Array(rows);
  if (type === 'float32') return new Float32Array(rows);
  if (type === 'int32') return new Int32Array(rows);
  return undefined;
}

/** Output columns of a job, in the order of its outputs, values in canonical form. */
export type TransformOutput = unknown[][];

/** A transform that failed: 422 naming the view, the row and the reason, no stack. */
export class TransformError extends TroveError {
  constructor(view: string, row: number | undefined, reason: string) {
    const where = row === undefined ? `on-demand view ${view}` : `on-demand view ${view}, row ${row}`;
    super('TRANSFORM_FAILED', `${where}: ${reason}`, 422);
    this.name = 'TransformError';
  }
}

const MAX_REASON = 300;

const SYNC_ONLY = 'returned a promise; transforms must be synchronous functions';

const isThenable = (value: object): boolean => typeof (value as { then?: unknown }).then === 'function';

function reasonOf(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : `threw ${String(err)}`;
  // The first line only: no stack, and a message stays a message.
  const line = text.split('\n')[0]!;
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON)}…` : line;
}

type RowMaker = (columns: ArrayLike<unknown>[], r: number) => Record<string, unknown>;

const rowMakers = new Map<string, RowMaker>();

/**
 * A function that builds row `r` as an object literal with the inputs' names as keys: every row
 * of every call gets one hidden class, and V8 builds it from a boilerplate instead of adding keys
 * one by one (the larger share of a row-form call over a cheap transform). Names are identifiers
 * (definitions check them); `__proto__`, which a literal would take for the prototype, is built
 * the slow way.
 *
 * `columns` holds each input's values, and after a NumberColumn's numbers its `valid` bytes when
 * it has them (`kinds`: 'a' for an array, 'n' for numbers without nulls, 'v' with).
 */
function rowMaker(names: readonly string[], kinds: string): RowMaker {
  const key = `${names.join(',')}/${kinds}`;
  let make = rowMakers.get(key);
  if (!make) {
    const slots: string[] = [];
    let at = 0;
    for (let i = 0; i < names.length; i++) {
      slots.push(kinds[i] === 'v' ? `c[${at + 1}][r] === 0 ? null : c[${at}][r]` : `c[${at}][r]`);
      at += kinds[i] === 'v' ? 2 : 1;
    }
    if (names.some((n) => !/^[A-Za-z_$][\w$]*$/.test(n) || n === '__proto__')) {
      const read = slots.map((slot) => new Function('c', 'r', `return ${slot};`) as RowMaker);
      make = (columns, r) => {
        const row: Record<string, unknown> = {};
        names.forEach((n, i) => {
          Object.defineProperty(row, n, {
            value: read[i]!(columns, r),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        });
        return row;
      };
    } else
      make = new Function(
        'c',
        'r',
        `return { ${names.map((n, i) => `${n}: ${slots[i]}`).join(', ')} };`,
      ) as RowMaker;
    rowMakers.set(key, make);
  }
  return make;
}

/** Runs one job synchronously; throws a TransformError. */
export function runJob(job: TransformJob & { numberOutputs: true }): OutputColumns;
export function runJob(job: TransformJob): TransformOutput;
export function runJob(job: TransformJob): OutputColumns {
  const first = job.firstRow ?? 0;
  const numbered = job.mode === 'row' && job.numberOutputs === true;
  const out: unknown[][] = [];
  const numbers: (NumberColumn['numbers'] | undefined)[] = [];
  const valid: (Uint8Array | undefined)[] = [];
  for (const f of job.outputs) {
    const unboxed = numbered ? numberArrayOf(f.type, job.rows) : undefined;
    numbers.push(unboxed);
    valid.push(unboxed ? new Uint8Array(job.rows) : undefined);
    out.push(unboxed ? [] : new Array(job.rows));
  }
  const names = Object.keys(job.columns);
  const labels = job.outputs.map((f) => `feature ${f.name}`);
  const check = (o: number, r: number, value: unknown): void => {
    const f = job.outputs[o]!;
    const into = numbers[o];
    // A float64 given as a number is already canonical: most outputs skip the general check.
    if (f.type === 'float64' && typeof value === 'number') {
      if (into) {
        into[r] = value;
        valid[o]![r] = 1;
      } else out[o]![r] = value;
      return;
    }
    let checked: unknown;
    try {
      checked = normalizeValue(f.type, value ?? null, labels[o]!);
    } catch (err) {
      throw new TransformError(job.view, first + r, (err as Error).message);
    }
    if (!into) out[o]![r] = checked;
    else if (checked !== null) {
      into[r] = checked as number;
      valid[o]![r] = 1;
    }
  };
  if (job.mode === 'row') {
    const transform = job.transform as RowTransform;
    const columns: ArrayLike<unknown>[] = [];
    let kinds = '';
    for (const n of names) {
      const column = job.columns[n]!;
      if (!isNumberColumn(column)) {
        columns.push(column);
        kinds += 'a';
      } else if (column.valid) {
        columns.push(column.numbers, column.valid);
        kinds += 'v';
      } else {
        columns.push(column.numbers);
        kinds += 'n';
      }
    }
    const makeRow = rowMaker(names, kinds);
    for (let r = 0; r < job.rows; r++) {
      const row = makeRow(columns, r);
      let result: unknown;
      try {
        result = transform(row);
      } catch (err) {
        throw new TransformError(job.view, first + r, reasonOf(err));
      }
      if (result === null || typeof result !== 'object' || Array.isArray(result))
        throw new TransformError(job.view, first + r, `expected an object of features, got ${typeof result}`);
      if (isThenable(result)) throw new TransformError(job.view, first + r, SYNC_ONLY);
      const values = result as Record<string, unknown>;
      for (let o = 0; o < job.outputs.length; o++) check(o, r, values[job.outputs[o]!.name]);
    }
    return out.map((column, o) => {
      const into = numbers[o];
      return into ? { numbers: into, valid: valid[o]! } : column;
    });
  }
  let result: unknown;
  try {
    result = (job.transform as ColumnTransform)(job.columns as Record<string, unknown[]>, job.rows);
  } catch (err) {
    throw new TransformError(job.view, undefined, reasonOf(err));
  }
  if (result === null || typeof result !== 'object')
    throw new TransformError(
      job.view,
      undefined,
      `expected an object of feature columns, got ${typeof result}`,
    );
  if (isThenable(result)) throw new TransformError(job.view, undefined, SYNC_ONLY);
  const columns = result as Record<string, unknown>;
  for (let o = 0; o < job.outputs.length; o++) {
    const column = columns[job.outputs[o]!.name];
    if (!Array.isArray(column) || column.length !== job.rows)
      throw new TransformError(
        job.view,
        undefined,
        `expected feature ${job.outputs[o]!.name} as a list of ${job.rows} values`,
      );
    for (let r = 0; r < job.rows; r++) check(o, r, column[r]);
  }
  return out;
}

interface Queued {
  job: TransformJob;
  resolve: (out: TransformOutput) => void;
  reject: (err: unknown) => void;
}

const context = vm.createContext({});
const RUN = new vm.Script('__trove_run()');

export class TransformRunner {
  private queue: Queued[] = [];
  private scheduled = false;

  /** `limitMs`: the longest one job may run. */
  constructor(private readonly limitMs: number) {}

  /** Runs a job under the limit, with the others queued in this turn of the event loop. */
  run(job: TransformJob): Promise<TransformOutput> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Runs one job at once under the limit (offline batches, which need no company). */
  runNow(job: TransformJob): OutputColumns {
    let out: OutputColumns | undefined;
    let failure: unknown;
    let started = 0;
    (context as { __trove_run?: () => void }).__trove_run = () => {
      started = performance.now();
      try {
        out = runJob(job);
      } catch (err) {
        failure = err;
      }
    };
    try {
      RUN.runInContext(context, { timeout: this.limitMs });
    } catch (err) {
      if (isTimeout(err)) throw this.timedOut(job, performance.now() - started);
      throw err;
    }
    if (failure) throw failure;
    return out!;
  }

  private timedOut(job: TransformJob, ms: number): TransformError {
    return new TransformError(
      job.view,
      undefined,
      `the transform ran past its time limit of ${this.limitMs} ms (stopped after ${Math.round(ms)} ms)`,
    );
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    let pending = this.queue;
    this.queue = [];
    while (pending.length > 0) {
      let index = 0;
      let started = 0;
      const batch = pending;
      (context as { __trove_run?: () => void }).__trove_run = () => {
        for (; index < batch.length; index++) {
          const q = batch[index]!;
          started = performance.now();
          try {
            q.resolve(runJob(q.job));
          } catch (err) {
            q.reject(err);
          }
        }
      };
      try {
        RUN.runInContext(context, { timeout: this.limitMs });
        pending = [];
      } catch (err) {
        if (!isTimeout(err)) throw err;
        const ran = performance.now() - started;
        const q = batch[index];
        // The watchdog may stop the script after its last job returned: every job has its answer.
        if (q === undefined) break;
        // Only a job that used its whole limit fails; one stopped early by the jobs before it in
        // the batch runs again, with the rest, under a new watchdog.
        if (ran >= this.limitMs * 0.95) {
          q.reject(this.timedOut(q.job, ran));
          index++;
        }
        pending = batch.slice(index);
      }
    }
  };
}

function isTimeout(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}
