/**
 * The transform runner when its watchdog fires at the edge of a batch: a job that ends just as
 * the limit is reached may be interrupted after it returned, with no job left to blame; every job
 * must still settle, and the runner must not throw outside them (which would stop a server).
 */
import { describe, expect, it } from 'vitest';
import { type TransformJob, TransformRunner } from '../../../src/offline/on-demand/transform-runner.ts';

const LIMIT_MS = 2;

/** A job that spins for `ms` and returns one value. */
const spinning = (ms: number): TransformJob => ({
  view: 'spin',
  mode: 'row',
  transform: () => {
    const until = performance.now() + ms;
    while (performance.now() < until) {}
    return { x: 1 };
  },
  columns: { a: [1] },
  rows: 1,
  outputs: [{ name: 'x', type: 'float64' }],
});

describe('the transform runner at its limit', () => {
  it('settles every job when the watchdog fires around the end of a batch', async () => {
    const runner = new TransformRunner(LIMIT_MS);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    let answered = 0;
    let timedOut = 0;
    try {
      for (let round = 0; round < 400; round++) {
        // Batches that end near the limit, some just before it and some just after.
        const first = 0.5 + (round % 7) * 0.1;
        const jobs = [spinning(first), spinning(LIMIT_MS - first - 0.05 + (round % 5) * 0.03)];
        const settled = await Promise.allSettled(jobs.map((j) => runner.run(j)));
        for (const s of settled) {
          if (s.status === 'fulfilled') {
            expect(s.value).toEqual([[1]]);
            answered++;
          } else {
            expect(s.reason).toMatchObject({ status: 422, message: expect.stringMatching(/time limit/) });
            timedOut++;
          }
        }
      }
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect(answered + timedOut).toBe(800);
    expect(answered).toBeGreaterThan(0);
  }, 30_000);
});
