import type { DuckDBConnection } from '@duckdb/node-api';
import type { Source } from '../definitions/source.ts';
import { type SourceContext, sourceTableSql } from '../definitions/source-sql.ts';
import { quoteIdentifier } from './sql-literals.ts';

/** A source whose relation could not be built, with DuckDB's reason. */
export interface SourceViewFailure {
  source: Source;
  message: string;
}

/**
 * Registers every source as a temporary view named after it, so SQL sources and feature views can
 * read them by name. SQL and push sources may depend on other sources, so failed views are retried
 * while each pass makes progress; what still fails is returned with DuckDB's message.
 */
export async function registerSourceViews(
  connection: DuckDBConnection,
  sources: readonly Source[],
  ctx: SourceContext,
): Promise<SourceViewFailure[]> {
  let pending = [...sources];
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
    if (failures.length === 0 || failures.length === pending.length) return failures;
    pending = failures.map((f) => f.source);
  }
}
