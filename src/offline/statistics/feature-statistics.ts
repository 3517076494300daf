/**
 * Statistics of feature values in two forms: what is stored per group of rows (a partition, a
 * dataset) in a form that merges, and the summary shown to people and clients, computed from
 * merged groups (see merge-statistics.ts).
 */
import { z } from 'zod';
import { type ValueType, valueTypeSchema } from '../../definitions/value-type.ts';

/** What statistics a type gets: numbers get moments, quantiles and a histogram; text and booleans, top values. */
export type StatisticsKind = 'numeric' | 'categorical' | 'timestamp' | 'other';

export function statisticsKindOf(type: ValueType): StatisticsKind {
  switch (type) {
    case 'int32':
    case 'int64':
    case 'float32':
    case 'float64':
      return 'numeric';
    case 'string':
    case 'bool':
      return 'categorical';
    case 'timestamp':
      return 'timestamp';
    default:
      return 'other';
  }
}

/** A column to describe. */
export interface StatisticsColumn {
  name: string;
  type: ValueType;
}

/** Most frequent values kept per group; a merged summary shows the first TOP_VALUES_SHOWN. */
export const TOP_VALUES_KEPT = 50;
export const TOP_VALUES_SHOWN = 10;

/**
 * One feature in one group. `min`/`max` are decimal text (every digit of an int64) or, for
 * timestamps, microseconds since the epoch as text; `mean` and `m2` (sum of squared deviations
 * from the mean) merge exactly by Chan's formula; `histogram` is log-histogram.ts bin → count;
 * `distinct` a HyperLogLog sketch (hyperloglog.ts); `top` the most frequent values with exact
 * counts, `topComplete` when it lists every distinct value of the group.
 */
export const storedFeatureStatisticsSchema = z.strictObject({
  type: valueTypeSchema,
  count: z.number().int().nonnegative(),
  min: z.string().nullable().optional(),
  max: z.string().nullable().optional(),
  mean: z.number().nullable().optional(),
  m2: z.number().nullable().optional(),
  histogram: z.record(z.string().regex(/^-?\d+$/), z.number().int().positive()).optional(),
  distinct: z.string(),
  top: z.array(z.tuple([z.string(), z.number().int().positive()])).optional(),
  topComplete: z.boolean().optional(),
});
export type StoredFeatureStatistics = z.infer<typeof storedFeatureStatisticsSchema>;

/** The statistics of one group of rows. */
export const groupStatisticsSchema = z.strictObject({
  rows: z.number().int().nonnegative(),
  features: z.record(z.string(), storedFeatureStatisticsSchema),
});
export type GroupStatistics = z.infer<typeof groupStatisticsSchema>;

export const QUANTILES = [
  ['p01', 0.01],
  ['p05', 0.05],
  ['p25', 0.25],
  ['p50', 0.5],
  ['p75', 0.75],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;
export type QuantileName = (typeof QUANTILES)[number][0];

const extremeSchema = z.union([z.number(), z.string()]).nullable();

/**
 * One feature's statistics as shown: merged over every group asked for. A schema too, since a
 * training dataset's manifest records them and is checked when read.
 */
export const featureSummarySchema = z.strictObject({
  name: z.string(),
  type: valueTypeSchema,
  /** Non-null values. */
  count: z.number().int().nonnegative(),
  nulls: z.number().int().nonnegative(),
  /** nulls / rows; null when there are no rows. */
  nullFraction: z.number().nullable(),
  /** Approximate distinct non-null values (HyperLogLog, about 3% standard error). */
  distinct: z.number().int().nonnegative(),
  /**
   * Smallest and greatest value: numbers, except int64 (decimal text with every digit) and
   * timestamps (ISO 8601 text); null when there is no value or the type has no order kept.
   */
  min: extremeSchema,
  max: extremeSchema,
  mean: z.number().nullable(),
  /** Sample standard deviation (n − 1). */
  stddev: z.number().nullable(),
  /** Read from the log-scale histogram: within 4.4% of the exact value. */
  quantiles: z
    .strictObject(
      Object.fromEntries(QUANTILES.map(([key]) => [key, z.number().nullable()])) as Record<
        QuantileName,
        z.ZodNullable<z.ZodNumber>
      >,
    )
    .nullable(),
  /** Equal-width bins over [min, max] (numeric features). */
  histogram: z
    .array(z.strictObject({ lower: z.number(), upper: z.number(), count: z.number().int().nonnegative() }))
    .nullable(),
  /** Most frequent values with their counts (string and bool features). */
  topValues: z.array(z.strictObject({ value: z.string(), count: z.number().int().positive() })).nullable(),
  /** Whether `topValues` counts are exact: false when a value may have been cut from a group's list. */
  topValuesExact: z.boolean().nullable(),
});
export type FeatureSummary = z.infer<typeof featureSummarySchema>;

/** Statistics of a set of rows: the row count and each feature's summary. */
export const statisticsSummarySchema = z.strictObject({
  rows: z.number().int().nonnegative(),
  features: z.array(featureSummarySchema),
});
export type StatisticsSummary = z.infer<typeof statisticsSummarySchema>;
