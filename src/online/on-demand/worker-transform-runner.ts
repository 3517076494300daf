/**
 * Runs online transforms in a worker thread, under a time limit per job (SPEC §8).
 *
 * A transform is code from the feature repo. Run on the server's own thread, a slow one would
 * stall every request, and stopping a runaway synchronous loop there needs V8's per-call watchdog,
 * which starts a thread on every call (tens of microseconds, more under load, and late enough
 * under heavy load to stop calls that were nowhere near their limit). Here the server only posts
 * jobs and keeps serving; one timer looks at the worker's progress cells and, when a job has run
 * past its limit, terminates the worker, fails that job with a 422 and sends the jobs it had not
 * answered to a fresh worker. Jobs queued within one turn of the event loop go as one batch,
 * through a shared ring (shared-ring.ts) rather than `postMessage`, whose structured clone and
 * message event cost about as much as the read itself; answers come back through another ring,
 * awaited with `Atomics.waitAsync`. A batch too large for a ring, or holding a value the ring's
 * wire does not carry, goes by `postMessage`, as do its answers.
 */
import { Worker } from 'node:worker_threads';
import { TroveError } from '../../errors.ts';
import { TransformError, type TransformOutput } from '../../offline/on-demand/transform-runner.ts';
import {
  LOADING,
  type OnlineTransformJob,
  PROGRESS_CELLS,
  RUNNING_JOB,
  RUNNING_PHASE,
  RUNNING_SINCE_US,
  sharedClockUs,
  type TransformStep,
  type WorkerAnswer,
  type WorkerRequest,
} from './online-transform-job.ts';
import { SharedRing } from './shared-ring.ts';
import { NotOnWire, readAnswers, WireWriter, writeRequest } from './transform-wire.ts';
import type { TransformWorkerData } from './transform-worker.ts';

// Compiled Trove runs from dist/ as JavaScript; under tsx or vitest the sources run, and a worker
// thread gets none of their loaders: it starts from the compiled copy (which the tests build).
const WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../../dist/src/online/on-demand/transform-worker.js', import.meta.url)
  : new URL('./transform-worker.js', import.meta.url);

/**
 * How long importing a transform's module may take (esbuild compiles it on first use): far longer
 * than a call, yet a module whose top level never returns must not hold requests forever.
 */
const LOAD_LIMIT_MS = 30_000;

/** Heap a worker may use: a transform that allocates without end fails, not the server. */
const WORKER_HEAP_MB = 256;

/** Bytes of each ring: batches of a few rows take hundreds; larger ones go by `postMessage`. */
const RING_BYTES = 1 << 20;

interface Pending {
  job: OnlineTransformJob;
  resolve: (out: TransformOutput) => void;
  reject: (err: unknown) => void;
}

export interface WorkerTransformRunnerOptions {
  repoDir: string;
  /** The longest one job may run, in ms. */
  limitMs: number;
  /** How often the worker looks at a transform's module file for edits. */
  recheckMs: number;
}

export class WorkerTransformRunner {
  private worker: Worker | undefined;
  private progress = new BigInt64Array(new SharedArrayBuffer(PROGRESS_CELLS * 8));
  /** Jobs sent to the current worker and not yet answered, by id. */
  private readonly inFlight = new Map<number, Pending>();
  private queue: { id: number; pending: Pending }[] = [];
  private nextId = 1;
  /** Steps by number, numbered on first use; the current worker has been sent those in `sentSteps`. */
  private readonly stepNumbers = new WeakMap<TransformStep, number>();
  private nextStep = 1;
  private sentSteps = new Set<number>();
  /** The current worker's rings: jobs to it, answers from it. */
  private requests: SharedRing | undefined;
  private answers: SharedRing | undefined;
  /** The answer ring a loop is waiting on, if any. */
  private waitingOn: SharedRing | undefined;
  private readonly wire = new WireWriter();
  private scheduled = false;
  private watch: NodeJS.Timeout | undefined;
  /** Whether the current worker has loaded its code: one that dies before would die again. */
  private started = false;
  private closed = false;

  constructor(private readonly options: WorkerTransformRunnerOptions) {}

  /** Runs a job in the worker; rejects with a 422 TroveError when the transform fails or runs too long. */
  run(job: OnlineTransformJob): Promise<TransformOutput> {
    if (this.closed)
      return Promise.reject(new TroveError('STORE_CLOSED', 'the feature store is closed', 503));
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, pending: { job, resolve, reject } });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /**
   * Starts the worker and has it import the steps' transforms, so the first request does not wait
   * for either. Resolves when they are loaded; a transform that fails to load fails its requests
   * later, with the reason, and not this.
   */
  async prepare(steps: readonly TransformStep[]): Promise<void> {
    // No rows: the worker loads each function and calls none.
    await Promise.allSettled(steps.map((step) => this.run({ step, columns: {}, rows: 0 })));
  }

  /** Stops the worker; jobs not yet answered fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.retire();
    this.failAll(new TroveError('STORE_CLOSED', 'the feature store is closed', 503));
    if (worker) await worker.terminate();
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0 || this.closed) return;
    this.send(batch);
  };

  private send(batch: { id: number; pending: Pending }[]): void {
    const worker = this.worker ?? this.start();
    const requests = this.requests!;
    const needed = new Map<number, TransformStep>();
    const jobs: WorkerRequest['jobs'] = [];
    for (const { id, pending } of batch) {
      this.inFlight.set(id, pending);
      const { step, columns, rows } = pending.job;
      let n = this.stepNumbers.get(step);
      if (n === undefined) {
        n = this.nextStep++;
        this.stepNumbers.set(step, n);
      }
      needed.set(n, step);
      jobs.push(id, n, columns, rows);
    }
    // A pending job keeps the process alive (a CLI read awaits it); an idle worker does not.
    worker.ref();
    const unsent = [...needed].filter(([n]) => !this.sentSteps.has(n));
    if (this.putOnRing(requests, { steps: unsent, jobs })) {
      for (const [n] of unsent) this.sentSteps.add(n);
      this.awaitAnswers();
    } else {
      // Posted batches carry their steps, as they may arrive before the ring's batches do.
      worker.postMessage({ steps: [...needed], jobs } satisfies WorkerRequest);
      // The worker may be asleep on the ring: wake it to take the message.
      requests.wake();
    }
    this.watch ??= setTimeout(this.check, this.options.limitMs);
  }

  private putOnRing(ring: SharedRing, request: WorkerRequest): boolean {
    try {
      const bytes = writeRequest(this.wire, request);
      return bytes.length <= ring.maxRecord && ring.put(bytes);
    } catch (err) {
      if (err instanceof NotOnWire) return false;
      throw err;
    }
  }

  /** Takes answers from the current worker's ring as they come, while any job is in flight. */
  private awaitAnswers(): void {
    const ring = this.answers!;
    if (this.waitingOn === ring) return;
    this.waitingOn = ring;
    void this.takeAnswers(ring).finally(() => {
      if (this.waitingOn === ring) this.waitingOn = undefined;
    });
  }

  private async takeAnswers(ring: SharedRing): Promise<void> {
    while (ring === this.answers && this.inFlight.size > 0) {
      const seen = ring.written();
      for (let record = ring.peek(); record; record = ring.peek()) {
        const answers = readAnswers(record);
        ring.release(record);
        this.settle(answers);
      }
      if (ring !== this.answers || this.inFlight.size === 0) return;
      await ring.waitAsync(seen);
    }
  }

  private settle(answers: readonly WorkerAnswer[]): void {
    for (const answer of answers) {
      const pending = this.inFlight.get(answer.id);
      if (!pending) continue;
      this.inFlight.delete(answer.id);
      if ('out' in answer) pending.resolve(answer.out);
      else pending.reject(new TroveError(answer.error.code, answer.error.message, answer.error.status));
    }
    if (this.inFlight.size === 0) {
      this.worker?.unref();
      this.stopWatch();
    }
  }

  /** Lets go of the current worker; a loop waiting on its answer ring wakes and ends. */
  private retire(): void {
    this.worker = undefined;
    const answers = this.answers;
    this.requests = undefined;
    this.answers = undefined;
    answers?.wake();
  }

  private start(): Worker {
    this.progress = new BigInt64Array(new SharedArrayBuffer(PROGRESS_CELLS * 8));
    this.sentSteps = new Set();
    this.requests = new SharedRing(RING_BYTES);
    this.answers = new SharedRing(RING_BYTES);
    const workerData: TransformWorkerData = {
      repoDir: this.options.repoDir,
      recheckMs: this.options.recheckMs,
      progress: this.progress.buffer as SharedArrayBuffer,
      requests: this.requests.buffer,
      answers: this.answers.buffer,
    };
    const worker = new Worker(WORKER_URL, {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: false,
      stderr: false,
    });
    this.started = false;
    worker.on('message', (answers: WorkerAnswer[] | 'ready') => {
      if (worker !== this.worker) return;
      if (answers === 'ready') {
        this.started = true;
        return;
      }
      this.settle(answers);
    });
    worker.on('error', (err) => this.lost(worker, err));
    worker.on('exit', (code) => this.lost(worker, new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  /** The worker died on its own (out of memory, a transform that ended its thread): go on without it. */
  private lost(worker: Worker, err: Error): void {
    if (worker !== this.worker) return;
    this.retire();
    if (!this.started) {
      // It died loading its own code: starting another would fail the same way.
      this.failAll(
        new TroveError(
          'TRANSFORM_WORKER_FAILED',
          `the transform worker could not start: ${err.message}`,
          503,
        ),
      );
      return;
    }
    const running = Number(Atomics.load(this.progress, RUNNING_JOB));
    const culprit = this.inFlight.get(running);
    if (culprit) {
      this.inFlight.delete(running);
      culprit.reject(
        new TransformError(
          culprit.job.step.view,
          undefined,
          `the transform stopped its worker: ${err.message}`,
        ),
      );
    }
    this.resend();
  }

  /** Jobs the current worker has not answered go to a fresh one. */
  private resend(): void {
    const again = [...this.inFlight].map(([id, pending]) => ({ id, pending }));
    this.inFlight.clear();
    this.stopWatch();
    if (again.length > 0 && !this.closed) this.send(again);
  }

  private readonly check = (): void => {
    this.watch = undefined;
    const worker = this.worker;
    if (!worker || this.inFlight.size === 0) return;
    const running = Number(Atomics.load(this.progress, RUNNING_JOB));
    const loading = Atomics.load(this.progress, RUNNING_PHASE) === LOADING;
    const sinceUs = Atomics.load(this.progress, RUNNING_SINCE_US);
    const ranMs = Number(sharedClockUs() - sinceUs) / 1000;
    const limitMs = loading ? LOAD_LIMIT_MS : this.options.limitMs;
    const pending = this.inFlight.get(running);
    if (pending === undefined || ranMs < limitMs) {
      // Nothing runs, or the running job still has time: look again when it would run out.
      const wait = pending === undefined ? this.options.limitMs : limitMs - ranMs;
      this.watch = setTimeout(this.check, Math.max(1, Math.ceil(wait)));
      return;
    }
    this.inFlight.delete(running);
    this.retire();
    void worker.terminate();
    const { view, location } = pending.job.step;
    pending.reject(
      loading
        ? new TroveError(
            'TRANSFORM_LOAD_FAILED',
            `on-demand view ${view}: module ${location.module} did not load within ${LOAD_LIMIT_MS} ms`,
            503,
          )
        : new TransformError(
            view,
            undefined,
            `the transform ran past its time limit of ${this.options.limitMs} ms (stopped after ${Math.round(ranMs)} ms)`,
          ),
    );
    this.resend();
  };

  private stopWatch(): void {
    if (this.watch) clearTimeout(this.watch);
    this.watch = undefined;
  }

  private failAll(err: unknown): void {
    this.stopWatch();
    const all = [...this.inFlight.values(), ...this.queue.map((q) => q.pending)];
    this.inFlight.clear();
    this.queue = [];
    for (const p of all) p.reject(err);
  }
}
