import { z } from 'zod';
import { durationSchema, formatDuration } from '../duration.ts';
import { featureSchema } from '../feature.ts';
import { IDENTIFIER, identifierSchema, metadataShape } from '../identifier.ts';
import { type ValueType, valueTypeSchema } from '../value-type.ts';
import { AGGREGATION_FUNCTIONS, columnOptional, MAX_LAST_N, resultType } from './aggregation-functions.ts';
import { defaultGranularity } from './granularity.ts';

const EXPECTED_SPAN = 'expected a positive whole number of seconds, or a duration such as 15m, 1h, 7d';

/** A window or granularity: positive whole seconds, normalized from a duration string. */
const spanSchema = durationSchema
  .refine((seconds) => seconds > 0 && Number.isInteger(seconds), { message: EXPECTED_SPAN })
  .meta({ description: 'Seconds, or a duration string such as 15m, 1h, 7d.' });

/** One function applied to one column over one or more windows. */
export const aggregationSchema = z.strictObject({
  /** The aggregated column of the source (after field mapping); optional for `count`. */
  column: identifierSchema.optional(),
  function: z.enum(AGGREGATION_FUNCTIONS),
  windows: z.array(spanSchema).min(1, 'an aggregation needs at least one window'),
  /** How many of the newest values `last_n` keeps. */
  n: z.number().int().min(1).max(MAX_LAST_N).optional(),
  /** The feature's name instead of `{column}_{function}_{window}`; only with a single window. */
  name: identifierSchema.optional(),
});
export type Aggregation = z.infer<typeof aggregationSchema>;

const aggregationViewShape = {
  kind: z.literal('aggregation'),
  name: identifierSchema,
  entities: z.array(identifierSchema).min(1, 'a feature view needs at least one entity'),
  /** Any source; each of its rows is one event. */
  source: identifierSchema,
  aggregations: z.array(aggregationSchema).min(1, 'an aggregation view needs at least one aggregation'),
  /**
   * Windows start on multiples of this from the Unix epoch; it must divide every window. By default
   * each window has its own: 5m up to 12h, 1h up to 12d, 1d beyond.
   */
  granularity: spanSchema.optional(),
  online: z.boolean().default(true),
  offline: z.boolean().default(true),
  ...metadataShape,
};

/** What one feature of an aggregation view computes, before its type is known. */
export interface AggregationFeatureSpec {
  name: string;
  function: Aggregation['function'];
  /** Absent for column-less `count`. */
  column: string | undefined;
  /** Window and granularity in seconds. */
  window: number;
  granularity: number;
  /** For `last_n`. */
  n: number | undefined;
  /** Where the feature comes from: `aggregations[aggregation].windows[windowIndex]`. */
  aggregation: number;
  windowIndex: number;
}

type AggregationShape = Pick<AggregationViewDefinition, 'aggregations' | 'granularity'>;

/** The name of one window's feature: `{column}_{function}_{window}`, or the aggregation's `name`. */
function featureName(a: Aggregation, window: number): string {
  if (a.name !== undefined && a.windows.length === 1) return a.name;
  return `${a.column === undefined ? '' : `${a.column}_`}${a.function}_${formatDuration(window)}`;
}

/** Every feature an aggregation view produces, in definition order (aggregations, then windows). */
export function aggregationFeatureSpecs(view: AggregationShape): AggregationFeatureSpec[] {
  return view.aggregations.flatMap((a, aggregation) =>
    a.windows.map((window, windowIndex) => ({
      name: featureName(a, window),
      function: a.function,
      column: a.column,
      window,
      granularity: view.granularity ?? defaultGranularity(window),
      n: a.n,
      aggregation,
      windowIndex,
    })),
  );
}

/** The columns an aggregation view reads besides keys and times, in order of first use. */
export function aggregatedColumns(view: AggregationShape): string[] {
  return [...new Set(view.aggregations.flatMap((a) => (a.column === undefined ? [] : [a.column])))];
}

/**
 * What a single view's schema cannot say with types alone: columns where functions need them,
 * `n` with `last_n` only, windows their granularity divides, and distinct, valid feature names.
 */
function checkAggregations(view: AggregationShape, ctx: z.RefinementCtx): void {
  view.aggregations.forEach((a, i) => {
    const at = (...path: (string | number)[]) => ['aggregations', i, ...path];
    if (a.column === undefined && !columnOptional(a.function))
      ctx.addIssue({ code: 'custom', path: at('column'), message: `${a.function} needs a column` });
    if (a.function === 'last_n' && a.n === undefined)
      ctx.addIssue({
        code: 'custom',
        path: at('n'),
        message: `last_n needs n, how many of the newest values to keep (1 to ${MAX_LAST_N})`,
      });
    if (a.function !== 'last_n' && a.n !== undefined)
      ctx.addIssue({ code: 'custom', path: at('n'), message: 'n applies to last_n only' });
    if (a.name !== undefined && a.windows.length > 1)
      ctx.addIssue({
        code: 'custom',
        path: at('name'),
        message: `name is for an aggregation with one window; this one has ${a.windows.length}, whose features are named {column}_{function}_{window}`,
      });
    a.windows.forEach((window, j) => {
      const granularity = view.granularity ?? defaultGranularity(window);
      if (window % granularity === 0) return;
      ctx.addIssue({
        code: 'custom',
        path: at('windows', j),
        message:
          view.granularity === undefined
            ? `window ${formatDuration(window)} is not a multiple of its default granularity ${formatDuration(granularity)} (5m for windows up to 12h, 1h up to 12d, 1d beyond); set the view's granularity to one that divides it`
            : `window ${formatDuration(window)} is not a multiple of the view's granularity ${formatDuration(granularity)}`,
      });
    });
  });
  const producer = new Map<string, string>();
  for (const spec of aggregationFeatureSpecs(view)) {
    const a = view.aggregations[spec.aggregation]!;
    const where = a.name !== undefined && a.windows.length === 1 ? ['name'] : ['windows', spec.windowIndex];
    const path = ['aggregations', spec.aggregation, ...where];
    const shown = `aggregations[${spec.aggregation}]${where.length === 1 ? '.name' : `.windows[${spec.windowIndex}]`}`;
    if (!IDENTIFIER.test(spec.name)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `feature name ${spec.name.slice(0, 40)}… is longer than 128 characters; name the aggregation or map the column to a shorter name`,
      });
      continue;
    }
    const other = producer.get(spec.name);
    if (other !== undefined)
      ctx.addIssue({
        code: 'custom',
        path,
        message: `feature ${spec.name} is produced twice (also by ${other}); give one a name or drop one`,
      });
    else producer.set(spec.name, shown);
  }
}

/**
 * An aggregation view as written (SPEC §7): windowed aggregates of a source's events per entity.
 * Its features' types depend on its source's column types, which `apply` reads; the registered form
 * (`registeredAggregationViewSchema`) carries them.
 */
export const aggregationViewSchema = z.strictObject(aggregationViewShape).superRefine(checkAggregations);
export type AggregationViewDefinition = z.infer<typeof aggregationViewSchema>;
export type AggregationViewInput = z.input<typeof aggregationViewSchema>;

/** A column an aggregation view reads, with the value type apply found for it in the source. */
export const aggregatedColumnSchema = z.strictObject({ name: identifierSchema, type: valueTypeSchema });
export type AggregatedColumn = z.infer<typeof aggregatedColumnSchema>;

/**
 * The registered form of a definition, given the value type of each column it reads (from the
 * source, by `apply`): the columns in order of first use, and every feature with its type.
 */
export function registerAggregationView(
  view: AggregationViewDefinition,
  columnType: (column: string) => ValueType,
): AggregationView {
  const columns = aggregatedColumns(view).map((name) => ({ name, type: columnType(name) }));
  const typeOf = new Map(columns.map((c) => [c.name, c.type]));
  const features = aggregationFeatureSpecs(view).map((spec) => ({
    name: spec.name,
    type: resultType(spec.function, spec.column === undefined ? undefined : typeOf.get(spec.column)),
  }));
  return { ...view, columns, features };
}

/**
 * An aggregation view as registered: the definition, the types of the columns it reads, and the
 * features it produces with their types (`registerAggregationView`). A registry file is checked to
 * hold exactly what that derivation gives.
 */
export const registeredAggregationViewSchema = z
  .strictObject({
    ...aggregationViewShape,
    columns: z.array(aggregatedColumnSchema),
    features: z.array(featureSchema),
  })
  .superRefine((view, ctx) => {
    checkAggregations(view, ctx);
    const names = aggregatedColumns(view);
    const shown = (list: readonly { name: string; type?: string }[]) =>
      list.map((c) => (c.type === undefined ? c.name : `${c.name} ${c.type}`)).join(', ');
    if (shown(names.map((name) => ({ name }))) !== shown(view.columns.map((c) => ({ name: c.name })))) {
      ctx.addIssue({
        code: 'custom',
        path: ['columns'],
        message: `expected the columns ${names.join(', ')}`,
      });
      return;
    }
    const types = new Map(view.columns.map((c) => [c.name, c.type]));
    const expected = registerAggregationView(view, (c) => types.get(c)!).features;
    if (shown(expected) !== shown(view.features))
      ctx.addIssue({
        code: 'custom',
        path: ['features'],
        message: `expected the features ${shown(expected)}`,
      });
  });
export type AggregationView = z.infer<typeof registeredAggregationViewSchema>;
