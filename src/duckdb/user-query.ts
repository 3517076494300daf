/**
 * SQL written by users (SQL sources' queries, transformations, entity queries) is spliced into
 * Trove's own statements. It must be one query and nothing else: a `;` followed by a COPY, an
 * ATTACH or a SET, or a `)` that closes Trove's parentheses early, would run statements nobody
 * defined. DuckDB's own parser decides, without running or binding anything.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { TroveError } from '../errors.ts';

interface SerializedSql {
  error: boolean;
  error_type?: string;
  error_message?: string;
  statements?: unknown[];
}

/**
 * Throws an INVALID_SQL TroveError naming `what` unless `sql` parses as exactly one read-only query
 * (SELECT, WITH ... SELECT, FROM-first, VALUES, set operations, DESCRIBE, SUMMARIZE, SHOW).
 */
export async function checkUserQuery(connection: DuckDBConnection, sql: string, what: string): Promise<void> {
  const fail = (reason: string) => new TroveError('INVALID_SQL', `${what}: ${reason}`);
  if (sql.includes('\0')) throw fail('contains a NUL character');
  // json_serialize_sql parses without binding, and serializes SELECT statements only.
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
  const parsed = JSON.parse(String(reader.getRowsJS()[0]?.[0])) as SerializedSql;
  if (parsed.error) {
    if (parsed.error_type === 'parser') throw fail(`syntax error: ${parsed.error_message ?? ''}`);
    throw fail('must be a single query (SELECT ...), not another kind of statement');
  }
  const count = parsed.statements?.length ?? 0;
  if (count === 0) throw fail('holds no query');
  if (count > 1) throw fail(`must be a single query, not ${count} statements`);
}
