import { z } from 'zod';
import { identifierSchema } from './identifier.ts';
import { valueTypeSchema } from './value-type.ts';

/** One named, typed feature of a view. */
export const featureSchema = z.strictObject({
  name: identifierSchema,
  type: valueTypeSchema,
  description: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type Feature = z.infer<typeof featureSchema>;
