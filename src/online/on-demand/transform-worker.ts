/**
 * The transform worker's entry: runs online transforms off the server's event loop. It imports
 * each transform's module itself (through the same loader, checking the file for edits at most
 * every `recheckMs`), runs jobs one after another, and marks in the shared progress cells which
 * job runs and since when, so the server can stop one that runs past its limit.
 */
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

/** What the server gives the worker when it starts it. */
export interface TransformWorkerData {
  repoDir: string;
  recheckMs: number;
  progress: SharedArrayBuffer;
}

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
  for (const [n, step] of request.steps) steps.set(n, { step, transform: undefined, loadedAt: 0 });
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

port.on('message', (request: WorkerRequest) => {
  void answer(request).then((answers) => port.postMessage(answers));
});

// Its imports are loaded: from here on, a worker that dies was stopped by a transform.
port.postMessage('ready');
