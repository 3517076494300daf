import { z } from 'zod';
import { identifierSchema, metadataShape } from './identifier.ts';
import { valueTypeSchema } from './value-type.ts';

/** One column of an entity's key. */
export const joinKeySchema = z.strictObject({
  name: identifierSchema,
  type: valueTypeSchema,
});
export type JoinKey = z.infer<typeof joinKeySchema>;

/** A thing features describe (`driver`), identified by one or more join keys. */
export const entitySchema = z.strictObject({
  name: identifierSchema,
  joinKeys: z.array(joinKeySchema).min(1, 'an entity needs at least one join key'),
  ...metadataShape,
});
export type Entity = z.infer<typeof entitySchema>;
export type EntityInput = z.input<typeof entitySchema>;
