import { z } from 'zod';
import { troveConfigSchema } from '../config/trove-config.ts';
import { transformReferenceSchema, transformSchema } from './on-demand/on-demand-view.ts';
import { definitionFileSchema } from './repo-definitions.ts';

type Override = NonNullable<NonNullable<Parameters<typeof z.toJSONSchema>[1]>['override']>;

/** YAML can only name a transform (`file.ts#name`); the function form is TypeScript's alone. */
const yamlTransformOnly: Override = (ctx) => {
  if (ctx.zodSchema !== transformSchema) return;
  const schema = ctx.jsonSchema as Record<string, unknown>;
  for (const key of Object.keys(schema)) delete schema[key];
  Object.assign(schema, z.toJSONSchema(transformReferenceSchema, { io: 'input' }));
  delete schema.$schema;
};

/**
 * JSON Schemas for editors, generated from the same zod schemas that validate definitions, so YAML
 * is checked as you type by exactly the rules `trove plan` applies. Keyed by file name.
 */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'definitions.schema.json': z.toJSONSchema(definitionFileSchema, {
      io: 'input',
      unrepresentable: 'any',
      override: yamlTransformOnly,
    }),
    'trove-config.schema.json': z.toJSONSchema(troveConfigSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
