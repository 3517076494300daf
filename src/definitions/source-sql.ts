import path from 'node:path';
import { quoteIdentifier, quoteString } from '../duckdb/sql-literals.ts';
import type { FeatureViewDefinition } from './feature-view.ts';
import type { Source } from './source.ts';
import { duckdbTypeOf, type ValueType } from './value-type.ts';

/** Where a source's relative paths and pushed rows are found. */
export interface SourceContext {
  repoDir: string;
  /** Folder of the offline store; pushed rows of push sources live below it. */
  offlineStorePath: string;
  /** Columns of push sources (from the views over them), used when nothing was pushed yet. */
  pushColumns?: Record<string, { name: string; type: ValueType }[]>;
  /** Files of rows pushed to each push source so far. */
  pushFiles?: Record<string, string[]>;
  /** Folders outside the repo that sources may read (`TROVE_DATA_DIRS`, set by the operator). */
  dataDirs?: readonly string[];
}

/** Folder in the offline store that holds the rows pushed to a push source. */
export function pushFolder(offlineStorePath: string, sourceName: string): string {
  return path.join(offlineStorePath, '_push', sourceName);
}

export function resolveRepoPath(repoDir: string, p: string): string {
  return path.resolve(repoDir, p);
}

/**
 * The DuckDB table expression a source stands for, before field mapping. SQL sources refer to other
 * sources by name, so those must be registered as views first (see `registerSourceViews`).
 */
export function sourceTableSql(source: Source, ctx: SourceContext): string {
  switch (source.kind) {
    case 'parquet':
      return `read_parquet(${quoteString(resolveRepoPath(ctx.repoDir, source.path))}, union_by_name = true)`;
    case 'csv': {
      const delim = source.delimiter ? `, delim = ${quoteString(source.delimiter)}` : '';
      return `read_csv(${quoteString(resolveRepoPath(ctx.repoDir, source.path))}, header = true, auto_detect = true${delim})`;
    }
    case 'sql':
      // The newline ends a trailing `--` comment before Trove's own text resumes.
      return `(${source.query}\n)`;
    case 'push': {
      const files = ctx.pushFiles?.[source.name] ?? [];
      const parts: string[] = [];
      if (files.length > 0) {
        parts.push(
          `SELECT * FROM read_parquet([${files.map(quoteString).join(', ')}], union_by_name = true)`,
        );
      }
      if (source.batchSource) parts.push(`SELECT * FROM ${quoteIdentifier(source.batchSource)}`);
      if (parts.length === 0) {
        const cols = [
          `NULL::TIMESTAMPTZ AS ${quoteIdentifier(source.timestampField)}`,
          ...(source.createdTimestampField
            ? [`NULL::TIMESTAMPTZ AS ${quoteIdentifier(source.createdTimestampField)}`]
            : []),
          ...(ctx.pushColumns?.[source.name] ?? []).map(
            (c) => `NULL::${duckdbTypeOf(c.type)} AS ${quoteIdentifier(c.name)}`,
          ),
        ];
        return `(SELECT ${cols.join(', ')} WHERE false)`;
      }
      return `(${parts.join(' UNION ALL BY NAME ')})`;
    }
  }
}

/** `SELECT` of a source with its field mapping applied. */
export function mappedSourceSql(source: Source, from: string): string {
  const mapping = Object.entries(source.fieldMapping ?? {});
  if (mapping.length === 0) return `SELECT * FROM ${from}`;
  const renames = mapping
    .map(([src, dst]) => `${quoteIdentifier(src)} AS ${quoteIdentifier(dst)}`)
    .join(', ');
  return `SELECT * RENAME (${renames}) FROM ${from}`;
}

/**
 * The query a feature view's rows come from: its source, field-mapped, then a batch view's
 * transformation (which reads the relation `source`); an aggregation view reads every source row
 * as an event. Assumes the view's source is registered as a view by name.
 */
export function featureViewRowsSql(view: FeatureViewDefinition, source: Source): string {
  const mapped = mappedSourceSql(source, quoteIdentifier(source.name));
  const body = (view.kind === 'batch' ? view.transformation : undefined) ?? 'SELECT * FROM source';
  return `WITH source AS (${mapped}) ${body}\n`;
}
