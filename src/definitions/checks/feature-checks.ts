import { z } from 'zod';
import { featureSchema } from '../feature.ts';
import { InvalidValueError, normalizeValue } from '../input-values.ts';
import type { ValueType } from '../value-type.ts';

/** Types `min` and `max` apply to. */
export const ORDERED_TYPES: readonly ValueType[] = ['int32', 'int64', 'float32', 'float64'];
/** Types `allowed` applies to: those whose values compare exactly. */
export const ENUMERABLE_TYPES: readonly ValueType[] = ['string', 'int32', 'int64', 'bool'];

/**
 * Data-quality checks of one feature of a batch view (SPEC §10). Row checks (`notNull`, `min`,
 * `max`, `allowed`) hold for every row, at compute and at push; `maxNullFraction` holds for the
 * rows of each partition a compute writes. A null value passes `min`, `max` and `allowed`: only
 * `notNull` and `maxNullFraction` speak of nulls.
 */
export const featureChecksSchema = z
  .strictObject({
    notNull: z.boolean().optional().meta({ description: 'Every row has a value.' }),
    min: z.number().optional().meta({ description: 'Least value allowed (inclusive); numeric features.' }),
    max: z.number().optional().meta({ description: 'Greatest value allowed (inclusive); numeric features.' }),
    allowed: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1, 'allowed: list at least one value')
      .optional()
      .meta({
        description:
          'The only values allowed; string, int32, int64 (numbers, or decimal text beyond 2^53) and bool features.',
      }),
    maxNullFraction: z
      .number()
      .optional()
      .meta({ description: 'Greatest share of null values in each partition a compute writes (0 to 1).' }),
  })
  .meta({ description: 'Data-quality checks: a compute or push whose rows fail one is refused.' });
export type FeatureChecks = z.infer<typeof featureChecksSchema>;

/** A check's name, as reports and errors give it. */
export type FeatureCheckKind = keyof FeatureChecks;

/**
 * A feature of a batch view: a feature that may declare checks. The refinement rejects checks that
 * cannot hold or do not fit the feature's type, naming the feature.
 */
export const checkedFeatureSchema = featureSchema
  .extend({ checks: featureChecksSchema.optional() })
  .superRefine((feature, ctx) => {
    const checks = feature.checks;
    if (!checks) return;
    const problem = (field: FeatureCheckKind, message: string, at: (string | number)[] = []) =>
      ctx.addIssue({
        code: 'custom',
        path: ['checks', field, ...at],
        message: `feature ${feature.name}: ${message}`,
      });
    for (const bound of ['min', 'max'] as const) {
      if (checks[bound] !== undefined && !ORDERED_TYPES.includes(feature.type))
        problem(bound, `${bound} applies to int32, int64, float32 and float64 features, not ${feature.type}`);
    }
    const fraction = checks.maxNullFraction;
    if (fraction !== undefined && !(fraction >= 0 && fraction <= 1))
      problem('maxNullFraction', `maxNullFraction ${fraction} is not a fraction between 0 and 1`);
    if (checks.min !== undefined && checks.max !== undefined && checks.min > checks.max)
      problem('min', `min (${checks.min}) is greater than max (${checks.max}), so no value could pass`);
    if (checks.allowed !== undefined) {
      if (!ENUMERABLE_TYPES.includes(feature.type)) {
        problem('allowed', `allowed applies to string, int32, int64 and bool features, not ${feature.type}`);
      } else {
        checks.allowed.forEach((value, i) => {
          const message = allowedValueProblem(feature.type, value);
          if (message) problem('allowed', message, [i]);
        });
      }
    }
  });
export type CheckedFeature = z.infer<typeof checkedFeatureSchema>;

/** Why `value` cannot be an allowed value of a `type` feature, or undefined when it can. */
function allowedValueProblem(type: ValueType, value: string | number | boolean): string | undefined {
  // Integers as text are for int64 beyond 2^53 only; anywhere else text is a typo for a number.
  if (typeof value === 'string' && type !== 'string' && type !== 'int64')
    return `allowed value ${JSON.stringify(value)} does not fit type ${type}`;
  // YAML and JSON read 9007199254740993 as 9007199254740992: digits would be lost silently.
  if (
    typeof value === 'number' &&
    type === 'int64' &&
    Number.isInteger(value) &&
    !Number.isSafeInteger(value)
  )
    return `allowed value ${value} is beyond 2^53, where numbers lose digits; write it as text ("${BigInt(value)}" is what was read)`;
  try {
    normalizeValue(type, value, 'allowed');
    return undefined;
  } catch (err) {
    if (!(err instanceof InvalidValueError)) throw err;
    return `allowed value ${JSON.stringify(value)} does not fit type ${type}`;
  }
}

/** Checks of a batch view as a whole, over the rows a compute writes. */
export const viewChecksSchema = z
  .strictObject({
    minRows: z
      .number()
      .int('minRows: expected a whole number of rows')
      .min(0, 'minRows: expected a number of rows ≥ 0')
      .optional()
      .meta({ description: 'Least number of rows a compute of the view must write.' }),
  })
  .meta({ description: 'Data-quality checks of the view as a whole, at compute.' });
export type ViewChecks = z.infer<typeof viewChecksSchema>;
