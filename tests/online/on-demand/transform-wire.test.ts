/**
 * The channel online transforms travel through: the shared ring hands over records in order
 * across wraps and refuses one it has no room for; the wire carries every value a read presents
 * or a transform returns, exactly; and the runner still answers a batch too large for its ring,
 * or holding a value the wire does not carry, by `postMessage`.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransformStep } from '../../../src/online/on-demand/online-transform-job.ts';
import { SharedRing } from '../../../src/online/on-demand/shared-ring.ts';
import {
  NotOnWire,
  readAnswers,
  readRequest,
  WireWriter,
  writeAnswers,
  writeRequest,
} from '../../../src/online/on-demand/transform-wire.ts';
import { WorkerTransformRunner } from '../../../src/online/on-demand/worker-transform-runner.ts';
import { makeTempRepo, type TempRepo } from '../../helpers/temp-repo.ts';

describe('the shared ring', () => {
  it('hands over records in order across wraps, and refuses one it has no room for', () => {
    const ring = new SharedRing(256);
    const record = (n: number, size: number) => new Uint8Array(size).fill(n % 251);
    let sent = 0;
    let taken = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.boolean())), (steps) => {
        for (const [size, take] of steps) {
          const seen = ring.written();
          if (ring.put(record(sent, size))) {
            sent++;
            expect(ring.written()).toBe(seen + 1);
          } else expect(sent - taken).toBeGreaterThan(0);
          if (take) {
            const got = ring.peek();
            if (got === undefined) expect(sent).toBe(taken);
            else {
              expect(got.every((b) => b === taken % 251)).toBe(true);
              ring.release(got);
              taken++;
            }
          }
        }
      }),
    );
    for (let got = ring.peek(); got; got = ring.peek()) {
      ring.release(got);
      taken++;
    }
    expect(taken).toBe(sent);
    expect(ring.put(new Uint8Array(ring.maxRecord))).toBe(true);
  });
});

describe('the transform wire', () => {
  const step: TransformStep = {
    view: 'v',
    location: { module: 'transforms.ts', export: 'f', property: null },
    mode: 'row',
    outputs: [{ name: 'x', type: 'float64' }],
  };

  it('carries every kind of value exactly', () => {
    const value = fc.oneof(
      fc.constant(null),
      fc.double(),
      fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
      fc.string({ unit: 'grapheme' }),
      fc.boolean(),
      fc.uint8Array({ maxLength: 8 }),
      fc.date({ noInvalidDate: true }),
      fc.array(fc.oneof(fc.constant(null), fc.double(), fc.string()), { maxLength: 4 }),
    );
    const w = new WireWriter();
    fc.assert(
      fc.property(fc.array(value, { maxLength: 12 }), (values) => {
        const request = readRequest(
          writeRequest(w, { steps: [[3, step]], jobs: [41, 3, { a: values, b: [] }, values.length] }),
        );
        expect(request).toEqual({ steps: [[3, step]], jobs: [41, 3, { a: values, b: [] }, values.length] });
        const answers = [
          { id: 41, out: [values] },
          {
            id: 42,
            error: { code: 'TRANSFORM_FAILED', message: 'on-demand view v, row 0: ünïcode', status: 422 },
          },
        ];
        expect(readAnswers(writeAnswers(w, answers))).toEqual(answers);
      }),
    );
  });

  it('refuses a value it does not carry', () => {
    expect(() => writeRequest(new WireWriter(), { steps: [], jobs: [1, 1, { a: [{ x: 1 }] }, 1] })).toThrow(
      NotOnWire,
    );
  });
});

describe('the runner beyond the ring', () => {
  let repo: TempRepo;
  let runner: WorkerTransformRunner;
  const length: TransformStep = {
    view: 'length_view',
    location: { module: 'transforms.ts', export: 'length', property: null },
    mode: 'row',
    outputs: [{ name: 'n', type: 'int64' }],
  };

  beforeAll(async () => {
    repo = await makeTempRepo();
    await repo.write(
      'transforms.ts',
      'export const length = (row: { s: unknown }) => ({ n: typeof row.s === "string" ? row.s.length : -1 });\n',
    );
    runner = new WorkerTransformRunner({ repoDir: repo.dir, limitMs: 5000, recheckMs: 1000 });
    await runner.prepare([length]);
  });

  afterAll(async () => {
    await runner?.close();
    await repo?.remove();
  });

  it('answers a batch larger than its ring, and one the wire does not carry, beside ring batches', async () => {
    const big = 'x'.repeat(3 << 20);
    const answers = await Promise.all([
      runner.run({ step: length, columns: { s: ['abc'] }, rows: 1 }),
      runner.run({ step: length, columns: { s: [big] }, rows: 1 }),
    ]);
    expect(answers).toEqual([[[3n]], [[BigInt(big.length)]]]);
    expect(
      await Promise.all([
        runner.run({ step: length, columns: { s: [{ not: 'on the wire' }] }, rows: 1 }),
        runner.run({ step: length, columns: { s: ['abcd'] }, rows: 1 }),
      ]),
    ).toEqual([[[-1n]], [[4n]]]);
    expect(await runner.run({ step: length, columns: { s: ['ab'] }, rows: 1 })).toEqual([[2n]]);
  });
});
