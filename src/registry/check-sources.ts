import { access } from 'node:fs/promises';
import { functionTypeProblem } from '../definitions/aggregation/aggregation-functions.ts';
import { registerAggregationView } from '../definitions/aggregation/aggregation-view.ts';
import type { DefinitionProblem } from '../definitions/definition-problem.ts';
import type { FeatureView } from '../definitions/feature-view.ts';
import type { LocatedObject } from '../definitions/load-definitions.ts';
import type { DefinedObjects, RepoDefinitions } from '../definitions/repo-definitions.ts';
import type { Source } from '../definitions/source.ts';
import { sourceFolders, sourcePathProblem } from '../definitions/source-paths.ts';
import { featureViewRowsSql, resolveRepoPath, type SourceContext } from '../definitions/source-sql.ts';
import {
  isCompatibleColumnType,
  isTimestampColumnType,
  type ValueType,
  valueTypeOfColumn,
} from '../definitions/value-type.ts';
import { realDirectories } from '../duckdb/file-access.ts';
import { openDuckDb } from '../duckdb/open-duckdb.ts';
import { registerSourceViews } from '../duckdb/register-source-views.ts';
import { checkUserQuery } from '../duckdb/user-query.ts';
import { TroveError } from '../errors.ts';

const GLOB = /[*?[{]/;

/** First line of a DuckDB error, without its error-class prefix noise. */
function duckdbReason(message: string): string {
  return (message.split('\n')[0] ?? message).trim();
}

/** What checking definitions against their sources found. */
export interface SourceCheck {
  problems: DefinitionProblem[];
  /**
   * The definitions in registered form: aggregation views with the types of the columns they
   * read and of the features they produce. Complete only when there are no problems.
   */
  registered: RepoDefinitions;
}

/**
 * Checks definitions against the data they describe, with DuckDB `DESCRIBE`: source files exist,
 * SQL sources and transformations run, every view's join keys, timestamps and features exist with
 * types that fit their declarations, and every column an aggregation view reads exists with a type
 * its functions take, which gives its features their types. Reads schemas only, never the rows.
 */
export async function checkSources(
  definitions: DefinedObjects,
  objects: readonly LocatedObject[],
  ctx: SourceContext,
): Promise<SourceCheck> {
  const problems: DefinitionProblem[] = [];
  const registeredViews = new Map<string, FeatureView>();
  const fileOf = (kind: LocatedObject['kind'], name: string) =>
    objects.find((o) => o.kind === kind && o.value.name === name)?.file ?? '';

  const usable: Source[] = [];
  for (const source of definitions.sources) {
    const outside = await sourcePathProblem(source, ctx);
    if (outside !== undefined) {
      problems.push({
        file: fileOf('sources', source.name),
        object: `source ${source.name}`,
        field: 'path',
        message: outside,
      });
      continue;
    }
    if ((source.kind === 'parquet' || source.kind === 'csv') && !GLOB.test(source.path)) {
      const absolute = resolveRepoPath(ctx.repoDir, source.path);
      const exists = await access(absolute).then(
        () => true,
        () => false,
      );
      if (!exists) {
        problems.push({
          file: fileOf('sources', source.name),
          object: `source ${source.name}`,
          field: 'path',
          message: `file not found: ${absolute}`,
        });
        continue;
      }
    }
    usable.push(source);
  }

  const pushColumns: NonNullable<SourceContext['pushColumns']> = {};
  for (const view of definitions.featureViews) {
    if (view.kind === 'onDemand') continue;
    const source = definitions.sources.find((s) => s.name === view.source);
    // Aggregation views take their columns' types from the source, so cannot declare a push source's.
    if (source?.kind !== 'push' || view.kind !== 'batch') continue;
    const keys = view.entities.flatMap((e) => definitions.entities.find((x) => x.name === e)?.joinKeys ?? []);
    const columns = pushColumns[source.name] ?? [];
    pushColumns[source.name] = columns;
    for (const c of [...keys, ...view.features]) {
      if (!columns.some((x) => x.name === c.name)) columns.push({ name: c.name, type: c.type });
    }
  }

  const { instance, connection } = await openDuckDb({
    threads: 1,
    access: { directories: await realDirectories(sourceFolders(ctx)) },
  });
  try {
    const failures = await registerSourceViews(connection, usable, { ...ctx, pushColumns });
    const failed = new Set(failures.map((f) => f.source.name));
    for (const f of failures) {
      problems.push({
        file: fileOf('sources', f.source.name),
        object: `source ${f.source.name}`,
        field: f.source.kind === 'sql' ? 'query' : f.source.kind === 'push' ? 'batchSource' : 'path',
        message: f.refused ? f.message : `cannot be read: ${duckdbReason(f.message)}`,
      });
    }
    const missing = new Set(definitions.sources.filter((s) => !usable.includes(s)).map((s) => s.name));

    for (const view of definitions.featureViews) {
      // An on-demand view reads no source and registers as loaded.
      if (view.kind === 'onDemand') {
        registeredViews.set(view.name, view);
        continue;
      }
      const source = definitions.sources.find((s) => s.name === view.source);
      if (!source || failed.has(source.name) || missing.has(source.name)) continue;
      const file = fileOf('featureViews', view.name);
      const object = `featureView ${view.name}`;
      const transformation = view.kind === 'batch' ? view.transformation : undefined;
      let columns: Map<string, string>;
      try {
        if (transformation) await checkUserQuery(connection, transformation, 'the transformation');
        const reader = await connection.runAndReadAll(`DESCRIBE ${featureViewRowsSql(view, source)}`);
        columns = new Map(reader.getRows().map((row) => [String(row[0]), String(row[1])]));
      } catch (err) {
        problems.push({
          file,
          object,
          field: transformation ? 'transformation' : 'source',
          message:
            err instanceof TroveError
              ? err.message
              : `cannot be read: ${duckdbReason((err as Error).message)}`,
        });
        continue;
      }
      const where = transformation ? 'the transformation' : `source ${source.name}`;
      const available = [...columns.keys()].join(', ');
      const need = (column: string, field: string, check: (type: string) => boolean, expected: string) => {
        const type = columns.get(column);
        if (type === undefined) {
          problems.push({
            file,
            object,
            field,
            message: `column ${column} not found in ${where} (it has: ${available})`,
          });
        } else if (!check(type)) {
          problems.push({
            file,
            object,
            field,
            message: `column ${column} in ${where} has type ${type}, which does not fit ${expected}`,
          });
        }
      };
      view.entities.forEach((entityName, i) => {
        const entity = definitions.entities.find((e) => e.name === entityName);
        for (const key of entity?.joinKeys ?? []) {
          need(
            key.name,
            `entities[${i}]`,
            (t) => isCompatibleColumnType(t, key.type),
            `join key type ${key.type}`,
          );
        }
      });
      need(source.timestampField, 'source', isTimestampColumnType, 'a timestamp (timestampField)');
      if (source.createdTimestampField) {
        need(
          source.createdTimestampField,
          'source',
          isTimestampColumnType,
          'a timestamp (createdTimestampField)',
        );
      }
      if (view.kind === 'batch') {
        view.features.forEach((feature, i) => {
          need(
            feature.name,
            `features[${i}]`,
            (t) => isCompatibleColumnType(t, feature.type),
            `declared type ${feature.type}`,
          );
        });
        registeredViews.set(view.name, view);
        continue;
      }
      // An aggregation view's features take their types from the columns they aggregate.
      const valueTypes = new Map<string, ValueType>();
      let fits = true;
      view.aggregations.forEach((a, i) => {
        if (a.column === undefined) return;
        const field = `aggregations[${i}].column`;
        const columnType = columns.get(a.column);
        const type = columnType === undefined ? undefined : valueTypeOfColumn(columnType);
        const problem =
          columnType === undefined
            ? `column ${a.column} not found in ${where} (it has: ${available})`
            : type === undefined
              ? `column ${a.column} in ${where} has type ${columnType}, which Trove cannot store`
              : functionTypeProblem(a.function, type);
        if (problem === undefined && type !== undefined) {
          valueTypes.set(a.column, type);
          return;
        }
        fits = false;
        problems.push({
          file,
          object,
          field,
          message:
            columnType !== undefined && type !== undefined
              ? `${problem}; column ${a.column} in ${where} has type ${columnType} (${type})`
              : (problem ?? ''),
        });
      });
      if (fits)
        registeredViews.set(
          view.name,
          registerAggregationView(view, (c) => valueTypes.get(c)!),
        );
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return {
    problems,
    registered: {
      ...definitions,
      featureViews: definitions.featureViews.flatMap((v) => {
        const registered = registeredViews.get(v.name);
        return registered ? [registered] : [];
      }),
    },
  };
}
