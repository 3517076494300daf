import { listElementType, type ScalarType, type ValueType } from '../value-type.ts';

/** The functions an aggregation view applies to a window of events (SPEC §7). */
export const AGGREGATION_FUNCTIONS = [
  'count',
  'sum',
  'mean',
  'min',
  'max',
  'stddev_samp',
  'stddev_pop',
  'var_samp',
  'var_pop',
  'first',
  'last',
  'last_n',
] as const;
export type AggregationFunction = (typeof AGGREGATION_FUNCTIONS)[number];

/** The most values `last_n` keeps. */
export const MAX_LAST_N = 100;

const NUMERIC: readonly ScalarType[] = ['int32', 'int64', 'float32', 'float64'];
const INTEGER: readonly ScalarType[] = ['int32', 'int64'];

/** Functions that do arithmetic on their column's values. */
const ARITHMETIC: ReadonlySet<AggregationFunction> = new Set([
  'sum',
  'mean',
  'stddev_samp',
  'stddev_pop',
  'var_samp',
  'var_pop',
]);

/** Whether the function may be written without a column (it then counts events). */
export function columnOptional(fn: AggregationFunction): boolean {
  return fn === 'count';
}

/**
 * Why `fn` cannot aggregate a column of `type`, or undefined when it can. Arithmetic needs numbers;
 * `min` and `max` compare scalars; `last_n` makes a list, so its values must be scalars.
 */
export function functionTypeProblem(fn: AggregationFunction, type: ValueType): string | undefined {
  const scalar = listElementType(type) === undefined;
  if (ARITHMETIC.has(fn) && !NUMERIC.includes(type as ScalarType))
    return `${fn} needs a numeric column (int32, int64, float32 or float64)`;
  if ((fn === 'min' || fn === 'max' || fn === 'last_n') && !scalar)
    return `${fn} needs a column of scalar values, not lists`;
  return undefined;
}

/**
 * The value type of a function's result over a column of `type` (SPEC §7): `count` int64; `sum`
 * int64 over integers and float64 otherwise; mean, deviations and variances float64; min, max,
 * first, last the column's type; `last_n` a list of it. `type` is absent for column-less `count`.
 */
export function resultType(fn: AggregationFunction, type: ValueType | undefined): ValueType {
  if (fn !== 'count' && type === undefined) throw new Error(`${fn} needs its column's type`);
  switch (fn) {
    case 'count':
      return 'int64';
    case 'sum':
      return type !== undefined && INTEGER.includes(type as ScalarType) ? 'int64' : 'float64';
    case 'mean':
    case 'stddev_samp':
    case 'stddev_pop':
    case 'var_samp':
    case 'var_pop':
      return 'float64';
    case 'min':
    case 'max':
    case 'first':
    case 'last':
      return type!;
    case 'last_n':
      return `list<${type as ScalarType}>`;
  }
}
