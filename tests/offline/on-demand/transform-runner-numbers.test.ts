/**
 * Row-form jobs over unboxed number columns (how training datasets pass float and int32 inputs):
 * each row sees the same values, nulls included, as from lists, and with `numberOutputs` the
 * outputs come back unboxed with the same values and nulls, checked against their types alike.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isNumberColumn,
  type NumberColumn,
  runJob,
  type TransformJob,
} from '../../../src/offline/on-demand/transform-runner.ts';

const asNumbers = (values: (number | null)[], make: (n: number) => NumberColumn['numbers']): NumberColumn => {
  const numbers = make(values.length);
  const valid = new Uint8Array(values.length);
  values.forEach((v, r) => {
    if (v !== null) {
      numbers[r] = v;
      valid[r] = 1;
    }
  });
  return values.includes(null) ? { numbers, valid } : { numbers };
};

const asList = (column: unknown[] | NumberColumn): unknown[] =>
  isNumberColumn(column)
    ? Array.from(column.numbers, (n, r) => (column.valid && column.valid[r] === 0 ? null : n))
    : column;

const transform = (row: Record<string, unknown>) => ({
  ratio: row.mean === null || row.fare === null ? null : (row.fare as number) / (row.mean as number),
  count: row.count === null ? null : (row.count as number) + 1,
  keys: Object.keys(row).join(','),
});

const outputs = [
  { name: 'ratio', type: 'float64' },
  { name: 'count', type: 'int32' },
  { name: 'keys', type: 'string' },
] as const;

describe('row-form jobs over number columns', () => {
  it('see and give the same values as over lists', () => {
    const float = fc.oneof(fc.constant(null), fc.double({ noNaN: true }));
    const int = fc.oneof(fc.constant(null), fc.integer({ min: -1000, max: 1000 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(float, float, int), { maxLength: 40 }), (rows) => {
        const fare = rows.map((r) => r[0]);
        const mean = rows.map((r) => r[1]);
        const count = rows.map((r) => r[2]);
        const base: TransformJob = {
          view: 'v',
          mode: 'row',
          transform,
          columns: { fare, mean, count },
          rows: rows.length,
          outputs,
        };
        const lists = runJob(base);
        const unboxed = runJob({
          ...base,
          columns: {
            fare: asNumbers(fare, (n) => new Float64Array(n)),
            mean,
            count: asNumbers(count, (n) => new Int32Array(n)),
          },
          numberOutputs: true,
        });
        expect(isNumberColumn(unboxed[0]!)).toBe(true);
        expect(isNumberColumn(unboxed[1]!)).toBe(true);
        expect(isNumberColumn(unboxed[2]!)).toBe(false);
        expect(unboxed.map(asList)).toEqual(lists);
      }),
    );
  });

  it('refuse a wrongly typed output the same way, naming the row', () => {
    const job: TransformJob = {
      view: 'v',
      mode: 'row',
      transform: (row: Record<string, unknown>) => ({ count: (row.n as number) > 1 ? 1.5 : 1 }),
      columns: { n: asNumbers([1, 2], (n) => new Float64Array(n)) },
      rows: 2,
      outputs: [{ name: 'count', type: 'int32' }],
      numberOutputs: true,
    };
    expect(() => runJob(job)).toThrow(/^on-demand view v, row 1: /);
  });
});
