/** Quotes a SQL identifier for DuckDB: `"name"`, with embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a SQL string literal for DuckDB: `'text'`, with embedded quotes doubled. */
export function quoteString(text: string): string {
  if (text.includes('\0')) throw new Error('a SQL string may not contain a NUL character');
  return `'${text.replaceAll("'", "''")}'`;
}

/** A timestamp literal in UTC with microseconds, for comparisons in SQL. */
export function timestampLiteral(date: Date): string {
  return `TIMESTAMPTZ ${quoteString(date.toISOString())}`;
}
