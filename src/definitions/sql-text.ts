import { z } from 'zod';

/**
 * Removes the indentation common to every non-blank line and surrounding blank space, so SQL
 * written in a TypeScript template literal and in a YAML block scalar registers as the same text.
 */
export function normalizeSqlText(text: string): string {
  const lines = text.replaceAll('\r\n', '\n').split('\n');
  const indents = lines.filter((l) => l.trim()).map((l) => /^[ \t]*/.exec(l)?.[0].length ?? 0);
  const common = indents.length ? Math.min(...indents) : 0;
  return lines
    .map((l) => l.slice(common).trimEnd())
    .join('\n')
    .trim();
}

/** A SQL text field; normalized with `normalizeSqlText`. */
export const sqlTextSchema = z
  .string()
  .transform(normalizeSqlText)
  .pipe(z.string().min(1, 'expected SQL text, not a blank string'));
