/**
 * The transform runner: outputs checked against their types, a throwing, a wrongly typed and a
 * runaway transform each failing only its own job with a 422 naming the view and row, and jobs
 * queued beside a runaway one still answered.
 */
import { describe, expect, it } from 'vitest';
import { type TransformJob, TransformRunner } from '../../../src/offline/on-demand/transform-runner.ts';

const job = (
  transform: (row: Record<string, unknown>) => Record<string, unknown>,
  rows = 2,
): TransformJob => ({
  view: 'fare_ratio',
  mode: 'row',
  transform,
  columns: { fare: [10, 20].slice(0, rows), mean: [5, null].slice(0, rows) },
  rows,
  outputs: [{ name: 'ratio', type: 'float64' }],
});

describe('the transform runner', () => {
  const runner = new TransformRunner(50);

  it('runs the row form and the column form, checking types', async () => {
    const ratio = (r: Record<string, unknown>) => ({
      ratio: r.mean === null ? null : (r.fare as number) / (r.mean as number),
    });
    expect(await runner.run(job(ratio))).toEqual([[2, null]]);
    expect(
      runner.runNow({
        ...job(ratio),
        mode: 'columns',
        transform: (c: Record<string, unknown[]>) => ({ ratio: c.fare!.map((f) => (f as number) * 2) }),
      }),
    ).toEqual([[20, 40]]);
  });

  it('gives each row its inputs as own properties, whatever their names', () => {
    const seen: Record<string, unknown>[] = [];
    const out = runner.runNow({
      ...job(() => ({ ratio: 1 })),
      transform: (r: Record<string, unknown>) => {
        seen.push(r);
        return { ratio: 1 };
      },
      // JSON.parse makes `__proto__` an own key, as a parsed request body does.
      columns: JSON.parse('{"fare": [1, 2], "__proto__": [3, 4], "odd name": [5, 6]}') as Record<
        string,
        unknown[]
      >,
    });
    expect(out).toEqual([[1, 1]]);
    expect(seen.map((r) => Object.keys(r))).toEqual([
      ['fare', '__proto__', 'odd name'],
      ['fare', '__proto__', 'odd name'],
    ]);
    expect(Object.getPrototypeOf(seen[1])).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(seen[1], '__proto__')?.value).toBe(4);
    expect(seen[1]!['odd name']).toBe(6);
    const plain = runner.runNow({
      ...job((r) => ({ ratio: (r.fare as number) + ((r.mean as number | null) ?? 0) })),
    });
    expect(plain).toEqual([[15, 20]]);
  });

  it('fails a throwing or wrongly typed transform with a 422 naming view and row, no stack', async () => {
    const thrown = runner.run(
      job((r) => {
        if (r.mean === null) throw new Error('no mean\n    at secret (/srv/app.ts:1:1)');
        return { ratio: 1 };
      }),
    );
    await expect(thrown).rejects.toMatchObject({
      status: 422,
      code: 'TRANSFORM_FAILED',
      message: 'on-demand view fare_ratio, row 1: Error: no mean',
    });
    await expect(runner.run(job((async () => ({ ratio: 1 })) as never))).rejects.toMatchObject({
      status: 422,
      message:
        'on-demand view fare_ratio, row 0: returned a promise; transforms must be synchronous functions',
    });
    await expect(runner.run(job(() => ({ ratio: 'fast' })))).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/^on-demand view fare_ratio, row 0: feature ratio: expected float64/),
    });
  });

  it('stops a runaway transform at its limit; jobs queued with it still run', async () => {
    const looping = runner.run(
      job(() => {
        for (;;) {}
      }),
    );
    const fine = runner.run(job(() => ({ ratio: 1.5 })));
    await expect(looping).rejects.toMatchObject({
      status: 422,
      message: expect.stringMatching(/time limit of 50 ms/),
    });
    expect(await fine).toEqual([[1.5, 1.5]]);
    expect(() =>
      runner.runNow(
        job(() => {
          for (;;) {}
        }),
      ),
    ).toThrow(/time limit of 50 ms/);
  });
});
