import { z } from 'zod';
import { durationSchema } from './duration.ts';
import { identifierSchema, metadataShape } from './identifier.ts';
import { sqlTextSchema } from './sql-text.ts';
import { valueTypeSchema } from './value-type.ts';

/** One named, typed feature of a view. */
export const featureSchema = z.strictObject({
  name: identifierSchema,
  type: valueTypeSchema,
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type Feature = z.infer<typeof featureSchema>;

/**
 * A batch feature view: features computed from one source, keyed by entities.
 *
 * `kind` discriminates view kinds; request-time (`on_demand`) and windowed aggregation views are
 * future members of the union and will share the name space with batch views.
 */
export const batchFeatureViewSchema = z.strictObject({
  kind: z.literal('batch').default('batch'),
  name: identifierSchema,
  entities: z.array(identifierSchema).min(1, 'a feature view needs at least one entity'),
  source: identifierSchema,
  /** Seconds a value stays valid after its event time; 0 means no limit. */
  ttl: durationSchema.default(0),
  features: z.array(featureSchema).min(1, 'a feature view needs at least one feature'),
  /**
   * DuckDB SQL over a relation named `source` (the source after field mapping). It must return the
   * join keys, the timestamp field(s) and every feature.
   */
  transformation: sqlTextSchema.optional(),
  online: z.boolean().default(true),
  offline: z.boolean().default(true),
  ...metadataShape,
});

export const featureViewSchema = batchFeatureViewSchema;

export type FeatureView = z.infer<typeof featureViewSchema>;
export type FeatureViewInput = z.input<typeof featureViewSchema>;
