/**
 * The row checks (`notNull`, `min`, `max`, `allowed`) of every batch view over a push source,
 * applied to a pushed batch before anything is written: one failing row refuses the batch whole.
 * The checks over many rows (`maxNullFraction`, the view's `minRows`) describe what a compute
 * writes, not a batch that may be one row, so they wait for the next compute.
 */
import { type RowCheck, rowChecksOf } from '../../definitions/checks/row-checks.ts';
import type { BatchFeatureView } from '../../definitions/feature-view.ts';
import { TroveError } from '../../errors.ts';
import { showName, showValue } from '../../show-value.ts';

/** A pushed batch refused by a check (400); `view` names the view whose check failed. */
export class PushCheckError extends TroveError {
  readonly view: string;
  constructor(view: string, message: string) {
    super('CHECK_FAILED', message, 400);
    this.name = 'PushCheckError';
    this.view = view;
  }
}

/** One view's features as pushed: canonical values of the df column each feature reads. */
export interface PushedView {
  view: BatchFeatureView;
  /** In the order of `view.features`: the df column (its name in the source) and its values. */
  columns: readonly { name: string; values: readonly unknown[] }[];
}

/**
 * Throws PushCheckError naming the first failing row (lowest index), its feature and check, and
 * how many rows fail in all; returns when every row passes. Views with a SQL transformation are
 * checked at compute instead: their pushed columns are not yet their features.
 */
export function checkPushedRows(views: readonly PushedView[], rows: number): void {
  let first:
    | { row: number; view: string; feature: string; column: string; check: RowCheck; value: unknown }
    | undefined;
  const failing = new Set<number>();
  for (const { view, columns } of views) {
    if (view.transformation !== undefined) continue;
    for (const [i, feature] of view.features.entries()) {
      const checks = rowChecksOf(feature);
      const column = columns[i];
      if (checks.length === 0 || !column) continue;
      for (let r = 0; r < rows; r++) {
        const check = checks.find((c) => c.fails(column.values[r]));
        if (!check) continue;
        failing.add(r);
        if (!first || r < first.row)
          first = {
            row: r,
            view: view.name,
            feature: feature.name,
            column: column.name,
            check,
            value: column.values[r],
          };
      }
    }
  }
  if (!first) return;
  const shown = first.value === null || first.value === undefined ? 'null' : showValue(first.value);
  const column = first.column === first.feature ? '' : ` (column ${showName(first.column)})`;
  throw new PushCheckError(
    first.view,
    `row ${first.row}: feature ${first.view}:${first.feature}${column} is ${shown}, which fails check ${first.check.rule}` +
      `${failing.size > 1 ? ` (${failing.size} of ${rows} rows fail checks)` : ''}; nothing was written`,
  );
}
