import { z } from 'zod';
import { identifierSchema, metadataShape } from './identifier.ts';

/** `view`, `view:*` or `view:feature`. */
export const FEATURE_SELECTION = /^[A-Za-z_][A-Za-z0-9_]*(?::(?:\*|[A-Za-z_][A-Za-z0-9_]*))?$/;

/** A named set of features: what one model version consumes. */
export const featureServiceSchema = z.strictObject({
  name: identifierSchema,
  features: z
    .array(z.string().regex(FEATURE_SELECTION, 'expected "view", "view:*" or "view:feature"'))
    .min(1, 'a feature service needs at least one feature'),
  ...metadataShape,
});
export type FeatureService = z.infer<typeof featureServiceSchema>;
export type FeatureServiceInput = z.input<typeof featureServiceSchema>;
