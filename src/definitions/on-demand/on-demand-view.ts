/**
 * On-demand views (SPEC §8): features computed at request time by a TypeScript transform, from
 * values the caller sends (`request`) and from other views' features (`inputs`). They store
 * nothing; the same transform produces them online and in training datasets.
 */
import { z } from 'zod';
import { featureSchema } from '../feature.ts';
import { FEATURE_SELECTION } from '../feature-service.ts';
import { identifierSchema, metadataShape } from '../identifier.ts';
import { valueTypeSchema } from '../value-type.ts';
import type { TransformFunction } from './transform-function.ts';
import { TRANSFORM_MODES } from './transform-function.ts';
import { TRANSFORM_REFERENCE, transformLocationSchema } from './transform-location.ts';

/** A typed value the caller sends with each row (online: an `entities` column). */
export const requestFieldSchema = z.strictObject({
  name: identifierSchema,
  type: valueTypeSchema,
  description: z.string().optional(),
});
export type RequestField = z.infer<typeof requestFieldSchema>;

/** `view:feature` or `view:*` (a bare `view` is `view:*`, as in feature services). */
const inputSchema = z.string().regex(FEATURE_SELECTION, 'expected "view:feature" or "view:*"');

/** `file.ts#exportName`, the export being the function (YAML). */
export const transformReferenceSchema = z
  .string()
  .regex(TRANSFORM_REFERENCE, 'expected file.ts#exportName, a TypeScript module of the repo and its export')
  .meta({ description: 'file.ts#exportName: a TypeScript module of the repo and the function it exports.' });

/** The function itself (TypeScript definitions); JSON Schema has no form for it. */
export const transformFunctionSchema = z.custom<TransformFunction>((v) => typeof v === 'function', {
  message: 'expected a function, or file.ts#exportName',
});

/** `transform` as written: a reference in YAML, either form in TypeScript. */
export const transformSchema = z.union([transformReferenceSchema, transformFunctionSchema], {
  error: 'expected file.ts#exportName (YAML) or a function (TypeScript)',
});

const onDemandViewShape = {
  kind: z.literal('onDemand'),
  name: identifierSchema,
  request: z.array(requestFieldSchema).default([]),
  inputs: z.array(inputSchema).default([]),
  features: z.array(featureSchema).min(1, 'a feature view needs at least one feature'),
  /** `row`: called with one row at a time; `columns`: with whole batches as columns. */
  mode: z.enum(TRANSFORM_MODES).default('row'),
  online: z.boolean().default(true),
  offline: z.boolean().default(true),
  ...metadataShape,
};

type Shape = { request: { name: string }[]; inputs: string[]; features: { name: string }[] };

/** What one view's schema cannot say with types alone: something to compute from, distinct names. */
function checkShape(view: Shape, ctx: z.RefinementCtx): void {
  if (view.inputs.length === 0 && view.request.length === 0)
    ctx.addIssue({
      code: 'custom',
      path: ['inputs'],
      message: 'an on-demand view needs at least one input, or a request field',
    });
  const seen = (list: { name: string }[], field: string, what: string) => {
    const first = new Map<string, number>();
    list.forEach((f, i) => {
      const j = first.get(f.name);
      if (j === undefined) first.set(f.name, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: [field, i, 'name'],
          message: `${what} ${f.name} is listed twice (also ${field}[${j}])`,
        });
    });
  };
  seen(view.request, 'request', 'request field');
  seen(view.features, 'features', 'feature');
  const inputs = new Set<string>();
  view.inputs.forEach((ref, i) => {
    if (inputs.has(ref))
      ctx.addIssue({ code: 'custom', path: ['inputs', i], message: `input ${ref} is listed twice` });
    inputs.add(ref);
  });
}

/**
 * An on-demand view as written: `transform` is `file.ts#exportName` (YAML) or the function
 * (TypeScript, through `onDemandView()`). The loader turns either into a `TransformLocation`.
 */
export const onDemandViewSchema = z
  .strictObject({
    ...onDemandViewShape,
    transform: transformSchema,
  })
  .superRefine(checkShape);
export type OnDemandViewDefinition = z.infer<typeof onDemandViewSchema>;

/**
 * An on-demand view as registered, and as every stage after loading sees it: the definition with
 * its transform replaced by where it lives. The registry holds no code.
 */
export const registeredOnDemandViewSchema = z
  .strictObject({ ...onDemandViewShape, transform: transformLocationSchema })
  .superRefine(checkShape);
export type OnDemandView = z.infer<typeof registeredOnDemandViewSchema>;
