/**
 * The transform worker's entry: runs online transforms off the server's event loop. It imports
 * each transform's module itself (through the same loader, checking the file for edits at most
 * every `recheckMs`), runs jobs one after another, and marks in the shared progress cells which
 * job runs and since when, so the server can stop one that runs past its limit.
 *
 * Jobs come through a shared ring (shared-ring.ts) and answers go back through another; a batch
 * too large for a ring, or holding a value the wire does not carry, travels by `postMessage`.
 * Between batches the worker sleeps in `Atomics.wait`, and lets its own event loop turn (module
 * imports, file checks, posted batches) whenever it wakes to an empty ring and every IDLE_MS.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { loadTransform } from '../../definitions/on-demand/load-transform.ts';
import type { TransformFunction } from '../../definitions/on-demand/transform-function.ts';
import { TroveError } from '../../errors.ts';
import { runJob } from '../../offline/on-demand/transform-runner.ts';
import {
  CALLING,
  LOADING,
  RUNNING_JOB,
  RUNNING_PHASE,
  RUNNING_SINCE_US,
  sharedClockUs,
  type TransformStep,
  type WorkerAnswer,
  type WorkerRequest,
} from './online-transform-job.ts';
import { SharedRing } from './shared-ring.ts';
import { NotOnWire, readRequest, WireWriter, writeAnswers } from './transform-wire.ts';

/** What the server gives the worker when it starts it. */
export interface TransformWorkerData {
  repoDir: string;
  recheckMs: number;
  progress: SharedArrayBuffer;
  /** The ring jobs come through. */
  requests: SharedArrayBuffer;
  /** The ring answers go back through. */
  answers: SharedArrayBuffer;
}

/** How long the worker sleeps, with nothing to do, before letting its event loop turn. */
const IDLE_MS = 200;

interface KnownStep {
  step: TransformStep;
  transform: TransformFunction | undefined;
  /** `performance.now()` when `transform` was last looked up. */
  loadedAt: number;
}

const data = workerData as TransformWorkerData;
const progress = new BigInt64Array(data.progress);
const port = parentPort;
if (port === null) throw new Error('transform-worker runs as a worker thread');
const steps = new Map<number, KnownStep>();
const requests = new SharedRing(data.requests);
const answerRing = new SharedRing(data.answers);
const wire = new WireWriter();
/** Batches that came by `postMessage`, run in turn with the ring's. */
const posted: WorkerRequest[] = [];

function errorOf(err: unknown): { code: string; message: string; status: number } {
  if (err instanceof TroveError) return { code: err.code, message: err.message, status: err.status };
  // runJob turns what a transform throws into TroveErrors; anything else is Trove's own fault.
  return { code: 'TRANSFORM_WORKER_FAILED', message: 'the transform worker failed', status: 500 };
}

/** The step's function: looked up again (a `stat` of its module) at most every `recheckMs`. */
async function transformOf(known: KnownStep): Promise<TransformFunction> {
  const now = performance.now();
  if (known.transform !== undefined && now - known.loadedAt < data.recheckMs) return known.transform;
  known.transform = await loadTransform(data.repoDir, known.step.location, known.step.view, {
    recheckMs: data.recheckMs,
  });
  known.loadedAt = now;
  return known.transform;
}

async function answer(request: WorkerRequest): Promise<WorkerAnswer[]> {
  for (const [n, step] of request.steps)
    if (!steps.has(n)) steps.set(n, { step, transform: undefined, loadedAt: 0 });
  const answers: WorkerAnswer[] = [];
  const { jobs } = request;
  for (let j = 0; j < jobs.length; j += 4) {
    const id = jobs[j] as number;
    const known = steps.get(jobs[j + 1] as number)!;
    try {
      Atomics.store(progress, RUNNING_PHASE, LOADING);
      Atomics.store(progress, RUNNING_SINCE_US, sharedClockUs());
      Atomics.store(progress, RUNNING_JOB, BigInt(id));
      const transform = await transformOf(known);
      Atomics.store(progress, RUNNING_PHASE, CALLING);
      Atomics.store(progress, RUNNING_SINCE_US, sharedClockUs());
      const { view, mode, outputs } = known.step;
      const columns = jobs[j + 2] as Record<string, unknown[]>;
      const rows = jobs[j + 3] as number;
      answers.push({
        id,
        out: runJob({ view, mode, outputs, columns, rows, transform: transform as never }),
      });
    } catch (err) {
      answers.push({ id, error: errorOf(err) });
    } finally {
      Atomics.store(progress, RUNNING_JOB, 0n);
    }
  }
  return answers;
}

/** Sends answers through the ring, or by `postMessage` when they do not fit or do not go on the wire. */
function reply(answers: WorkerAnswer[], ring: boolean): void {
  if (ring) {
    try {
      const bytes = writeAnswers(wire, answers);
      if (bytes.length <= answerRing.maxRecord && answerRing.put(bytes)) return;
    } catch (err) {
      if (!(err instanceof NotOnWire)) throw err;
    }
  }
  port!.postMessage(answers);
}

async function serve(): Promise<never> {
  let turned = performance.now();
  for (;;) {
    if (performance.now() - turned > IDLE_MS) {
      // Busy all along: posted batches and timers still get their turn.
      await nextTurn();
      turned = performance.now();
    }
    const seen = requests.written();
    const record = requests.peek();
    if (record) {
      const request = readRequest(record);
      requests.release(record);
      reply(await answer(request), true);
      continue;
    }
    const request = posted.shift();
    if (request) {
      reply(await answer(request), false);
      continue;
    }
    requests.waitSync(seen, IDLE_MS);
    // Woken with no record (a batch was posted), or idle a while: let the event loop deliver it.
    if (requests.peek() === undefined) {
      await nextTurn();
      turned = performance.now();
    }
  }
}

port.on('message', (request: WorkerRequest) => {
  posted.push(request);
});

// Its imports are loaded: from here on, a worker that dies was stopped by a transform.
port.postMessage('ready');
void serve();
