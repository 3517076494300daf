/** `onDemandView()`, the helper a feature repo's TypeScript defines an on-demand view with. */
import type { z } from 'zod';
import { DEFINITION_KIND } from '../definition-helpers.ts';
import type { onDemandViewSchema } from './on-demand-view.ts';
import type { ColumnsTransform, RowTransform } from './transform-function.ts';

type Common = Omit<z.input<typeof onDemandViewSchema>, 'kind' | 'transform' | 'mode'>;

/**
 * What `onDemandView()` takes: a row-form transform (`mode` absent or `row`) or a column-form one
 * (`mode: 'columns'`). `transform` may also be `file.ts#exportName`, as in YAML.
 */
export type OnDemandViewInput =
  | (Common & { mode?: 'row'; transform: RowTransform | string })
  | (Common & { mode: 'columns'; transform: ColumnsTransform | string });

/** An on-demand view built by `onDemandView()`: marked so the loader finds it among exports. */
export type OnDemandViewObject<T extends OnDemandViewInput = OnDemandViewInput> = T & {
  readonly kind: 'onDemand';
  readonly [DEFINITION_KIND]: 'featureViews';
};

/**
 * An on-demand view (SPEC §8): features computed at request time by `transform`. Export the result
 * by name (`export const fareRatio = onDemandView({...})`): the registry records that export, and
 * the transform is loaded from it wherever it runs.
 */
export function onDemandView<const T extends OnDemandViewInput>(def: T): OnDemandViewObject<T> {
  const value = { kind: 'onDemand' as const, ...def };
  Object.defineProperty(value, DEFINITION_KIND, { value: 'featureViews', enumerable: false });
  return value as OnDemandViewObject<T>;
}
