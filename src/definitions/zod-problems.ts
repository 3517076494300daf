import type { z } from 'zod';
import type { DefinitionProblem } from './definition-problem.ts';
import { OBJECT_KIND_NAMES, type ObjectKind } from './repo-definitions.ts';

/** Renders a zod path as `features[1].type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Names an object for messages: `featureView driver_stats`, or by position when it has no name. */
export function describeObject(kind: ObjectKind, raw: unknown, index?: number): string {
  const name = typeof raw === 'object' && raw !== null ? (raw as { name?: unknown }).name : undefined;
  const singular = OBJECT_KIND_NAMES[kind];
  if (typeof name === 'string' && name) return `${singular} ${name}`;
  return index === undefined ? `${singular} (unnamed)` : `${kind}[${index}]`;
}

/** Turns the issues of one object's validation into problems. */
export function objectProblems(
  file: string,
  kind: ObjectKind,
  raw: unknown,
  error: z.ZodError,
  index?: number,
): DefinitionProblem[] {
  return error.issues.map((issue) => ({
    file,
    object: describeObject(kind, raw, index),
    field: formatPath(issue.path),
    message: issue.message,
  }));
}
