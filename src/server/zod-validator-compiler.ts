/**
 * Fastify's validator compiler for the routes' zod schemas. Unlike fastify-type-provider-zod's, it
 * hands the ZodError itself to the error handler (Fastify passes an Error through, tagged with the
 * part of the request it came from): its issues keep their paths as arrays and every per-code
 * detail, which the 400 message needs to name the offending value and what was expected.
 */
import type { FastifySchemaCompiler } from 'fastify';
import { safeParse, type z } from 'zod';

export const zodValidatorCompiler: FastifySchemaCompiler<z.core.$ZodType> =
  ({ schema }) =>
  (data: unknown) => {
    const result = safeParse(schema, data);
    return result.success ? { value: result.data } : { error: result.error };
  };
