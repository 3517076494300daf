import { TroveError } from '../errors.ts';
import { SHOWN_NAME_LENGTH, showValue } from '../show-value.ts';

/**
 * DuckDB takes SQL as C strings, so a NUL would cut the statement short wherever it stands. Names
 * and strings from users (entity columns of a request, paths) may hold one: refused, not quoted.
 */
function refuseNul(text: string, what: string): void {
  if (text.includes('\0')) throw new TroveError('INVALID_NAME', `${what} may not contain a NUL character`);
}

/**
 * Quotes a SQL identifier for DuckDB: `"name"`, with embedded quotes doubled. DuckDB drops a
 * byte-order mark (U+FEFF) at the start of a quoted name and has no empty names, so such names
 * are refused rather than turned into another name or a syntax error.
 */
export function quoteIdentifier(name: string): string {
  const what = `the name ${showValue(name, SHOWN_NAME_LENGTH)}`;
  refuseNul(name, what);
  if (name === '' || name.startsWith('\uFEFF')) {
    throw new TroveError('INVALID_NAME', `${what} is empty or starts with a byte-order mark (U+FEFF)`);
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a SQL string literal for DuckDB: `'text'`, with embedded quotes doubled. */
export function quoteString(text: string): string {
  refuseNul(text, 'a SQL string');
  return `'${text.replaceAll("'", "''")}'`;
}

/** A timestamp literal in UTC with microseconds, for comparisons in SQL. */
export function timestampLiteral(date: Date): string {
  return `TIMESTAMPTZ ${quoteString(date.toISOString())}`;
}
