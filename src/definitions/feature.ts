import { z } from 'zod';
import { identifierSchema } from './identifier.ts';
import { valueTypeSchema } from './value-type.ts';

/** One named, typed feature of a view. */
export const featureSchema = z.strictObject({
  name: identifierSchema,
  type: valueTypeSchema,
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
  /**
   * Population stability index above which `trove drift` flags this feature (default 0.2): a
   * feature that varies a lot by nature may need a looser bound, a critical one a tighter one.
   */
  driftThreshold: z
    .number({ error: 'driftThreshold: expected a positive number' })
    .positive('driftThreshold: expected a positive number')
    .optional(),
});
export type Feature = z.infer<typeof featureSchema>;
