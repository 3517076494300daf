import type { z } from 'zod';
import { showName } from '../show-value.ts';
import { describeZodIssue } from '../zod-issue-message.ts';
import type { DefinitionProblem } from './definition-problem.ts';
import { OBJECT_KIND_NAMES, type ObjectKind } from './repo-definitions.ts';

/**
 * Renders a zod path as `features[1].type`. Keys come from users' files and request bodies: one
 * that is long or not printable is shown quoted and cut, `entities["a\nb"]`, so the path stays
 * short and on one line.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') {
      out += `[${part}]`;
      continue;
    }
    const key = typeof part === 'symbol' ? part.toString() : part;
    const shown = showName(key);
    if (shown !== key) out += `[${shown}]`;
    else out += out ? `.${key}` : key;
  }
  return out;
}

/** Names an object for messages: `featureView driver_stats`, or by position when it has no name. */
export function describeObject(kind: ObjectKind, raw: unknown, index?: number): string {
  const name = typeof raw === 'object' && raw !== null ? (raw as { name?: unknown }).name : undefined;
  const singular = OBJECT_KIND_NAMES[kind];
  if (typeof name === 'string' && name) return `${singular} ${showName(name)}`;
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
  return error.issues.map((issue) => {
    const { path, message } = describeZodIssue(issue, raw);
    return { file, object: describeObject(kind, raw, index), field: formatPath(path), message };
  });
}
