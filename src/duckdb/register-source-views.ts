import type { DuckDBConnection } from '@duckdb/node-api';
import type { Source } from '../definitions/source.ts';
import { sourcePathProblem } from '../definitions/source-paths.ts';
import { type SourceContext, sourceTableSql } from '../definitions/source-sql.ts';
import { quoteIdentifier } from './sql-literals.ts';
import { checkUserQuery } from './user-query.ts';

/** A source whose relation could not be built, with DuckDB's reason. */
export interface SourceViewFailure {
  source: Source;
  message: string;
  /** Never run: its path leads outside the readable folders, or its query is not one query. */
  refused?: boolean;
}

/** Why a source may not be registered at all: a path outside the readable folders, or a query that is not one query. */
async function sourceProblem(
  connection: DuckDBConnection,
  source: Source,
  ctx: SourceContext,
): Promise<string | undefined> {
  if (source.kind === 'sql') {
    try {
      await checkUserQuery(connection, source.query, 'the query');
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  }
  return sourcePathProblem(source, ctx);
}

/**
 * Registers every source as a temporary view named after it, so SQL sources and feature views can
 * read them by name. SQL and push sources may depend on other sources, so failed views are retried
 * while each pass makes progress; what still fails is returned with DuckDB's message. Sources whose
 * path leads outside the readable folders, and SQL sources that are not a single query, are never
 * run.
 */
export async function registerSourceViews(
  connection: DuckDBConnection,
  sources: readonly Source[],
  ctx: SourceContext,
): Promise<SourceViewFailure[]> {
  const refused: SourceViewFailure[] = [];
  let pending: Source[] = [];
  for (const source of sources) {
    const problem = await sourceProblem(connection, source, ctx);
    if (problem === undefined) pending.push(source);
    else refused.push({ source, message: problem, refused: true });
  }
  let failures: SourceViewFailure[] = [];
  for (;;) {
    failures = [];
    for (const source of pending) {
      try {
        await connection.run(
          `CREATE OR REPLACE TEMP VIEW ${quoteIdentifier(source.name)} AS SELECT * FROM ${sourceTableSql(source, ctx)}`,
        );
      } catch (err) {
        failures.push({ source, message: (err as Error).message });
      }
    }
    if (failures.length === 0 || failures.length === pending.length) return [...refused, ...failures];
    pending = failures.map((f) => f.source);
  }
}
