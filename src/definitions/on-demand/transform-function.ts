/**
 * The functions an on-demand view's transform may be: a row form, called once per row, and a
 * column form, called once per batch of rows.
 */

/** One row: request values and input features, by name. */
export type TransformRow = Record<string, unknown>;

/** A row-form transform: a row in, the view's features out, by name. */
export type RowTransform<In extends TransformRow = TransformRow, Out extends TransformRow = TransformRow> = (
  row: In,
) => Out;

/**
 * A column-form transform: each request value and input feature as a column of `rows` values, and
 * each of the view's features returned as a column of as many.
 */
export type ColumnsTransform = (
  columns: Record<string, unknown[]>,
  rows: number,
) => Record<string, unknown[]>;

/** How a transform is called. */
export type TransformMode = 'row' | 'columns';
export const TRANSFORM_MODES = ['row', 'columns'] as const satisfies readonly TransformMode[];

/** Either form; `mode` of the view says which. */
export type TransformFunction = RowTransform | ColumnsTransform;
