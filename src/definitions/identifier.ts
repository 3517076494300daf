import { z } from 'zod';

/** Names of objects, features and columns: safe as SQL identifiers, Redis key parts and file names. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const identifierSchema = z
  .string()
  .regex(IDENTIFIER, 'expected an identifier: a letter or _, then letters, digits or _ (at most 128)');

/** Free-form metadata every object may carry. */
export const metadataShape = {
  description: z.string().optional(),
  owner: z.string().optional(),
  tags: z.record(z.string(), z.string()).optional(),
};
