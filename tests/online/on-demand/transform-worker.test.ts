/**
 * The worker that runs online transforms: a runaway or memory-hungry transform fails its own job
 * while the server's event loop stays free and the jobs sent with it still get their answers; an
 * edited module is served once its recheck interval has passed; `prepare` imports transforms
 * before the first job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransformLocation } from '../../../src/definitions/on-demand/transform-location.ts';
import type { TransformStep } from '../../../src/online/on-demand/online-transform-job.ts';
import { WorkerTransformRunner } from '../../../src/online/on-demand/worker-transform-runner.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';

const LIMIT_MS = 200;
const RECHECK_MS = 100;

const TRANSFORMS = (factor: number) => `
export const scale = (row: { a: number }) => ({ x: row.a * ${factor} });
export const spin = () => { for (;;) {} };
export const hog = () => { const kept: number[][] = []; for (;;) kept.push(new Array(1e6).fill(1)); };
`;

const at = (name: string): TransformLocation => ({ module: 'transforms.ts', export: name, property: null });
const step = (name: string): TransformStep => ({
  view: `${name}_view`,
  location: at(name),
  mode: 'row',
  outputs: [{ name: 'x', type: 'float64' }],
});
const steps = { scale: step('scale'), spin: step('spin'), hog: step('hog') };
const job = (s: TransformStep, a: number) => ({ step: s, columns: { a: [a] }, rows: 1 });

let repo: TempRepo;
let runner: WorkerTransformRunner;

beforeAll(async () => {
  repo = await makeTempRepo();
  await repo.write('transforms.ts', TRANSFORMS(2));
  runner = new WorkerTransformRunner({ repoDir: repo.dir, limitMs: LIMIT_MS, recheckMs: RECHECK_MS });
  await runner.prepare(Object.values(steps));
});

afterAll(async () => {
  await runner?.close();
  await repo?.remove();
});

describe('the online transform worker', () => {
  it('stops a runaway transform at its limit while the event loop stays free, and answers the jobs sent with it', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    const [before, runaway, after] = await Promise.allSettled([
      runner.run(job(steps.scale, 1)),
      runner.run(job(steps.spin, 1)),
      runner.run(job(steps.scale, 3)),
    ]);
    clearInterval(timer);
    expect(before).toEqual({ status: 'fulfilled', value: [[2]] });
    expect(after).toEqual({ status: 'fulfilled', value: [[6]] });
    expect(runaway.status).toBe('rejected');
    expect((runaway as PromiseRejectedResult).reason).toMatchObject({
      status: 422,
      code: 'TRANSFORM_FAILED',
      message: expect.stringMatching(
        /^on-demand view spin_view: the transform ran past its time limit of 200 ms/,
      ),
    });
    expect(performance.now() - started).toBeGreaterThanOrEqual(LIMIT_MS);
    // The spinning ran on the worker: this thread's timers kept firing all along.
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(await runner.run(job(steps.scale, 5))).toEqual([[10]]);
  });

  it('fails a transform that takes memory without end, and goes on with a new worker', async () => {
    const hog = runner.run(job(steps.hog, 1));
    await expect(hog).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/^on-demand view hog_view: /),
    });
    expect(await runner.run(job(steps.scale, 4))).toEqual([[8]]);
  }, 30_000);

  it('serves an edited transform once its recheck interval has passed', async () => {
    expect(await runner.run(job(steps.scale, 1))).toEqual([[2]]);
    await repo.write('transforms.ts', TRANSFORMS(10));
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS * 3));
    expect(await runner.run(job(steps.scale, 1))).toEqual([[10]]);
  });

  it('answers a missing export with the reason, as a 503, and fails jobs after close', async () => {
    await expect(runner.run(job(step('nothing'), 1))).rejects.toMatchObject({
      status: 503,
      code: 'TRANSFORM_NOT_FOUND',
      message: expect.stringMatching(
        /on-demand view nothing_view: transform transforms.ts#nothing: .*has no export nothing/,
      ),
    });
    const closing = new WorkerTransformRunner({
      repoDir: repo.dir,
      limitMs: LIMIT_MS,
      recheckMs: RECHECK_MS,
    });
    await closing.close();
    await expect(closing.run(job(steps.scale, 1))).rejects.toMatchObject({ status: 503 });
  });
});
