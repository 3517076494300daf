/**
 * `onDemandView()` marks its view for the loader and types its transform by `mode`: a row in and
 * values out, or columns and a row count in and columns out. (This file is type-checked with the
 * project, so a helper that stopped typing `row` or `columns` fails `tsc`.)
 */
import { describe, expect, it } from 'vitest';
import { definitionKindOf } from '../../src/definitions/definition-helpers.ts';
import { onDemandViewSchema } from '../../src/definitions/on-demand/on-demand-view.ts';
import { onDemandView } from '../../src/index.ts';

describe('onDemandView()', () => {
  it('marks a row-form view as a feature view of kind onDemand, valid by its schema', () => {
    const view = onDemandView({
      name: 'fare_ratio',
      request: [{ name: 'fare', type: 'float64' }],
      inputs: ['driver_trip_stats:fare_mean_7d'],
      features: [{ name: 'fare_vs_mean_7d', type: 'float64' }],
      transform: (row) => {
        const mean = row.fare_mean_7d as number | null;
        return { fare_vs_mean_7d: mean == null ? null : (row.fare as number) / mean };
      },
    });
    expect(definitionKindOf(view)).toBe('featureViews');
    expect(view.kind).toBe('onDemand');
    const parsed = onDemandViewSchema.parse(view);
    expect(parsed.mode).toBe('row');
    expect(typeof parsed.transform).toBe('function');
    if (typeof view.transform !== 'function') throw new Error('expected the function');
    expect(view.transform({ fare: 10, fare_mean_7d: 4 })).toEqual({ fare_vs_mean_7d: 2.5 });
  });

  it('takes a column-form transform', () => {
    const view = onDemandView({
      name: 'fare_bucket',
      request: [{ name: 'fare', type: 'float64' }],
      features: [{ name: 'dear', type: 'bool' }],
      mode: 'columns',
      transform: (columns, rows) => ({
        dear: Array.from({ length: rows }, (_, i) => (columns.fare?.[i] as number) > 20),
      }),
    });
    expect(onDemandViewSchema.parse(view).mode).toBe('columns');
    if (typeof view.transform !== 'function') throw new Error('expected the function');
    expect(view.transform({ fare: [10, 30] }, 2)).toEqual({ dear: [false, true] });
  });

  it('is refused by its schema without a transform, or with nothing to compute from', () => {
    const bare = { kind: 'onDemand', name: 'empty', features: [{ name: 'x', type: 'int64' }] };
    const untransformed = onDemandViewSchema.safeParse(bare);
    expect(untransformed.error?.issues.map((i) => i.path.join('.'))).toEqual(['transform']);
    const unfed = onDemandViewSchema.safeParse({ ...bare, transform: 't.ts#f' });
    expect(unfed.error?.issues.map((i) => i.path.join('.'))).toEqual(['inputs']);
  });
});
