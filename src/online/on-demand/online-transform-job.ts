/**
 * One online transform call as it crosses to the transform worker: where the function lives
 * instead of the function itself (functions do not cross threads), and plain values that the
 * structured clone copies.
 */
import type { TransformLocation } from '../../definitions/on-demand/transform-location.ts';
import type { ValueType } from '../../definitions/value-type.ts';

export interface OnlineTransformJob {
  step: TransformStep;
  columns: Record<string, unknown[]>;
  rows: number;
}

/** What stays the same from call to call of one view's transform: sent to the worker once. */
export interface TransformStep {
  view: string;
  location: TransformLocation;
  mode: 'row' | 'columns';
  outputs: readonly { name: string; type: ValueType }[];
}

/**
 * A batch of jobs sent to the worker in one message: steps the worker has not seen yet, by number,
 * then each job as its id, its step's number, its input columns and its row count (flat, since
 * the structured clone's cost grows with the objects it copies).
 */
export interface WorkerRequest {
  steps: [number, TransformStep][];
  jobs: (number | Record<string, unknown[]>)[];
}

/** One job's answer from the worker: its output columns, or the error it failed with. */
export type WorkerAnswer =
  | { id: number; out: unknown[][] }
  | { id: number; error: { code: string; message: string; status: number } };

/**
 * Layout of the shared progress cells: which job runs now (0 when none), since when, in
 * microseconds of `performance.timeOrigin + performance.now()` (both threads read one clock), and
 * whether it is importing its transform's module (LOADING) or calling it (CALLING).
 */
export const RUNNING_JOB = 0;
export const RUNNING_SINCE_US = 1;
export const RUNNING_PHASE = 2;
export const PROGRESS_CELLS = 3;
export const LOADING = 1n;
export const CALLING = 2n;

/** The microsecond clock both threads share. */
export const sharedClockUs = (): bigint =>
  BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
