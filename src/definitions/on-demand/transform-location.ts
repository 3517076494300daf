/**
 * Where an on-demand view's transform lives: a module of the repo and an export of it. The
 * registry stores this, never code; the module is imported again where the transform runs.
 */
import path from 'node:path';
import { z } from 'zod';

/** A JavaScript export name (what may follow `#` in `file.ts#name`). */
const EXPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;

/** `file.ts#exportName`: a TypeScript module of the repo, relative to the definitions file. */
export const TRANSFORM_REFERENCE = /^([^#\s]+\.m?ts)#([A-Za-z_$][A-Za-z0-9_$]{0,127})$/;

/** A module path as registered: relative to the repo, `/`-separated, inside the repo. */
const modulePathSchema = z
  .string()
  .min(1)
  .refine((p) => !path.posix.isAbsolute(p) && !p.split('/').includes('..') && /\.m?ts$/.test(p), {
    message: 'expected a .ts module path relative to the repo, inside it',
  });

export const transformLocationSchema = z.strictObject({
  /** The module, relative to the repo directory. */
  module: modulePathSchema,
  /** The export of that module. */
  export: z.string().regex(EXPORT_NAME, 'expected a JavaScript export name'),
  /**
   * `transform` when the export is a view built with `onDemandView()` (the function is its
   * `transform` property); null when the export is the function itself (`file.ts#name` in YAML).
   */
  property: z.literal('transform').nullable(),
});
export type TransformLocation = z.infer<typeof transformLocationSchema>;

/** `module#export`, or `module#export.transform`: how messages and the registry endpoints show one. */
export function formatTransformLocation(location: TransformLocation): string {
  return `${location.module}#${location.export}${location.property === null ? '' : `.${location.property}`}`;
}

/**
 * The location a `file.ts#name` reference written in `definitionFile` names, or a reason it names
 * none: the module is resolved against the definitions file's folder and must stay in the repo.
 */
export function locateTransformReference(
  reference: string,
  definitionFile: string,
): TransformLocation | { problem: string } {
  const m = TRANSFORM_REFERENCE.exec(reference);
  if (!m) return { problem: 'expected file.ts#exportName' };
  const written = m[1]!.replaceAll('\\', '/');
  if (path.posix.isAbsolute(written)) return { problem: `module ${written} is not relative to the repo` };
  const module = path.posix.normalize(path.posix.join(path.posix.dirname(definitionFile), written));
  if (module === '..' || module.startsWith('../'))
    return { problem: `module ${written} is outside the repo` };
  return { module, export: m[2]!, property: null };
}
