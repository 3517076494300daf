import { z } from 'zod';
import { troveConfigSchema } from '../config/trove-config.ts';
import { definitionFileSchema } from './repo-definitions.ts';

/**
 * JSON Schemas for editors, generated from the same zod schemas that validate definitions, so YAML
 * is checked as you type by exactly the rules `trove plan` applies. Keyed by file name.
 */
export function jsonSchemas(): Record<string, unknown> {
  return {
    'definitions.schema.json': z.toJSONSchema(definitionFileSchema, { io: 'input', unrepresentable: 'any' }),
    'trove-config.schema.json': z.toJSONSchema(troveConfigSchema, { io: 'input', unrepresentable: 'any' }),
  };
}
