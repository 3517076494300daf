import type { DuckDBConnection } from '@duckdb/node-api';
import type { StoredFeatureView } from '../definitions/feature-view.ts';
import { duckdbTypeOf } from '../definitions/value-type.ts';
import { sourceColumnsOf } from '../definitions/view-kinds.ts';
import { quoteIdentifier, quoteString } from '../duckdb/sql-literals.ts';
import { TroveError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { type OutputFeature, outputFeatures, resolveFeatures } from '../registry/resolve-features.ts';
import { showName, showNames, showValue } from '../show-value.ts';
import { requestedWindows } from './aggregation/requested-windows.ts';
import { windowedView } from './aggregation/view-events.ts';
import { windowAggregatesSql, windowedColumn } from './aggregation/window-aggregates-sql.ts';
import { bucketSql, type HistoricalShard, sameKeySet } from './distributed-historical/entity-hash.ts';
import {
  ENTITY_ROW,
  ENTITY_TABLE,
  type EntityInput,
  entityFilePath,
  loadEntityInput,
  loadNumberedEntityFile,
} from './entity-input.ts';
import { finishPendingSwap } from './finish-pending-swap.ts';
import type { HistoricalLineage, ViewFilesReader } from './lineage/dataset-reads.ts';
import { type OfflineConfig, type OfflineDuckDb, openOfflineDuckDb } from './offline-duckdb.ts';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP } from './offline-layout.ts';
import { utcDateOf } from './parse-timestamp.ts';
import { type PitOutputColumn, type PitView, pointInTimeSql } from './point-in-time-sql.ts';
import { viewFiles } from './view-files.ts';

/** A request for a training dataset. */
export interface HistoricalRequest {
  entities: EntityInput;
  /** Feature references (`view:feature`, `view:*`); or give `service`. */
  features?: readonly string[];
  service?: string;
  fullFeatureNames?: boolean;
  /** Folder relative entity file paths are resolved against; the current folder by default. */
  baseDir?: string;
  /** Records (or, rebuilding a dataset, replays) what the query reads (lineage/dataset-reads.ts). */
  lineage?: HistoricalLineage;
  /**
   * The entities are one shard of a larger table (distributed-historical/): a Parquet file whose
   * rows carry `ENTITY_ROW`, their positions in the whole table, which the output keeps as its last
   * column; views keyed by the shard's keys read only the shard's bucket of their rows.
   */
  shard?: HistoricalShard;
}

/** A prepared training-dataset query: run `sql` on `db.connection`, then `close()`. */
export interface HistoricalQuery {
  db: OfflineDuckDb;
  sql: string;
  outputs: OutputFeature[];
  close(): void;
}

const TIMESTAMP_TYPES = new Set([
  'TIMESTAMP WITH TIME ZONE',
  'TIMESTAMP',
  'TIMESTAMP_NS',
  'TIMESTAMP_MS',
  'TIMESTAMP_S',
  'DATE',
]);

function invalid(message: string): TroveError {
  return new TroveError('INVALID_ENTITY_TABLE', message);
}

async function firstValue(connection: DuckDBConnection, sql: string): Promise<unknown> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getColumnsJS()[0]?.[0];
}

function storedColumns(registry: Registry, view: StoredFeatureView): { name: string; sqlType: string }[] {
  return [
    ...registry.joinKeysOf(view).map((k) => ({ name: k.name, sqlType: duckdbTypeOf(k.type) })),
    { name: EVENT_TIMESTAMP, sqlType: 'TIMESTAMPTZ' },
    { name: CREATED_TIMESTAMP, sqlType: 'TIMESTAMPTZ' },
    ...sourceColumnsOf(view).map((f) => ({ name: f.name, sqlType: duckdbTypeOf(f.type) })),
  ];
}

/** A relation of a view's stored rows read from `files`; typed and empty when there are none. */
function storedRelation(registry: Registry, view: StoredFeatureView, files: readonly string[]): string {
  const columns = storedColumns(registry, view);
  if (files.length === 0) {
    return `(SELECT ${columns.map((c) => `NULL::${c.sqlType} AS ${quoteIdentifier(c.name)}`).join(', ')} WHERE false)`;
  }
  return `(SELECT ${columns.map((c) => quoteIdentifier(c.name)).join(', ')} FROM read_parquet([${files
    .map(quoteString)
    .join(', ')}], union_by_name = true, hive_partitioning = false))`;
}

/** Makes every view visible by name, for entity tables given as SQL over the offline store. */
async function registerStoredViews(
  connection: DuckDBConnection,
  config: OfflineConfig,
  registry: Registry,
  listFiles: ViewFilesReader,
) {
  for (const view of registry.storedViews()) {
    await finishPendingSwap(config.offlineStorePath, view.name);
    const { files } = await listFiles(config.offlineStorePath, view.name);
    await connection.run(
      `CREATE OR REPLACE TEMP VIEW ${quoteIdentifier(view.name)} AS SELECT * FROM ${storedRelation(registry, view, files)}`,
    );
  }
}

/**
 * Checks the entity table against the request and builds the point-in-time query (SPEC §4). The
 * caller runs the query (COPY to a file, or streamed as Arrow) and closes the returned handle.
 * DuckDB may read the entity file and write `outputFile`, both named by the caller, besides the
 * folders every offline operation may touch.
 */
export async function prepareHistoricalQuery(
  config: OfflineConfig,
  registry: Registry,
  request: HistoricalRequest,
  outputFile?: string,
  /** For on-demand views fed by request fields alone: the entity rows with no stored feature. */
  allowNoFeatures = false,
): Promise<HistoricalQuery> {
  const selections =
    allowNoFeatures && request.features?.length === 0
      ? []
      : resolveFeatures(registry, {
          ...(request.features ? { features: request.features } : {}),
          ...(request.service !== undefined ? { service: request.service } : {}),
        });
  const outputs = outputFeatures(selections, request.fullFeatureNames ?? false);
  const onDemand = selections.find((s) => s.view.kind === 'onDemand');
  if (onDemand)
    throw new TroveError(
      'ON_DEMAND_NOT_SUPPORTED',
      `feature view ${onDemand.view.name} is an on-demand view, which training datasets do not compute yet`,
    );
  const entityFile = entityFilePath(request.entities, request.baseDir);
  const db = await openOfflineDuckDb(
    config,
    [entityFile, outputFile].filter((f): f is string => f !== undefined),
  );
  try {
    const { connection } = db;
    const store = config.offlineStorePath;
    const isSql =
      typeof request.entities === 'object' && request.entities !== null && 'sql' in request.entities;
    const listFiles = request.lineage?.viewFiles ?? viewFiles;
    if (isSql) await registerStoredViews(connection, config, registry, listFiles);
    const shard = request.shard;
    if (shard && entityFile)
      await loadNumberedEntityFile(
        connection,
        entityFile,
        shard.columns,
        `${quoteIdentifier(shard.bucketColumn)} = ${shard.bucket}`,
      );
    else await loadEntityInput(connection, request.entities, request.baseDir);
    if (request.lineage?.entityCopy) {
      await connection.run(
        `COPY (SELECT * EXCLUDE (${ENTITY_ROW}) FROM ${ENTITY_TABLE} ORDER BY ${ENTITY_ROW}) TO ${quoteString(request.lineage.entityCopy)} (FORMAT parquet, COMPRESSION zstd)`,
      );
    }

    const described = await connection.runAndReadAll(`DESCRIBE ${ENTITY_TABLE}`);
    const columns = described
      .getRowObjectsJS()
      .map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))
      .filter((c) => c.name !== ENTITY_ROW);
    const typeOf = new Map(columns.map((c) => [c.name, c.type]));
    // A shard of a checked table is one bucket the coordinator counted non-empty, its rows checked.
    const checked = shard?.checked === true;
    if (!checked) {
      const rowCount = Number(await firstValue(connection, `SELECT count(*) FROM ${ENTITY_TABLE}`));
      if (rowCount === 0) throw invalid('the entity table is empty');
    }
    for (const c of columns) {
      if (c.name.startsWith('__trove_'))
        throw invalid(`entity column ${showName(c.name)}: names starting with __trove_ are reserved`);
    }
    for (const o of outputs) {
      if (typeOf.has(o.outputName)) {
        throw invalid(
          `entity column ${o.outputName} has the same name as the requested feature ${o.view.name}:${o.feature.name}; rename the column or ask for full feature names`,
        );
      }
    }

    // The entity timestamp: `event_timestamp`, or the only timestamp-typed column.
    let tsColumn: string;
    if (typeOf.has(EVENT_TIMESTAMP)) tsColumn = EVENT_TIMESTAMP;
    else {
      const candidates = columns.filter((c) => TIMESTAMP_TYPES.has(c.type));
      if (candidates.length !== 1) {
        throw invalid(
          candidates.length === 0
            ? `the entity table needs an ${EVENT_TIMESTAMP} column (or exactly one timestamp column); it has ${showNames(columns.map((c) => c.name))}`
            : `the entity table has no ${EVENT_TIMESTAMP} column and several timestamp columns (${showNames(candidates.map((c) => c.name))}); name one ${EVENT_TIMESTAMP}`,
        );
      }
      tsColumn = candidates[0]!.name;
    }
    const tsType = typeOf.get(tsColumn)!;
    const tsQuoted = quoteIdentifier(tsColumn);
    if (!TIMESTAMP_TYPES.has(tsType) && tsType !== 'VARCHAR') {
      throw invalid(`entity column ${showName(tsColumn)} must hold timestamps, not ${tsType}`);
    }
    const tsExpr =
      tsType === 'TIMESTAMP WITH TIME ZONE'
        ? tsQuoted
        : tsType === 'VARCHAR'
          ? `TRY_CAST(${tsQuoted} AS TIMESTAMPTZ)`
          : `CAST(${tsQuoted} AS TIMESTAMPTZ)`;
    const badRow = checked
      ? undefined
      : (
          await connection.runAndReadAll(
            `SELECT ${ENTITY_ROW}, ${tsQuoted}::VARCHAR FROM ${ENTITY_TABLE} WHERE ${tsExpr} IS NULL ORDER BY ${ENTITY_ROW} LIMIT 1`,
          )
        ).getRowsJS()[0];
    if (badRow) {
      throw invalid(
        badRow[1] === null
          ? `entity column ${showName(tsColumn)} is null in row ${Number(badRow[0]) + 1}`
          : `entity column ${showName(tsColumn)}: cannot parse ${showValue(badRow[1])} (row ${Number(badRow[0]) + 1}) as a timestamp`,
      );
    }

    // Join keys of every requested view, cast to the key's declared type.
    // Join key → the cast it needs, or null when the column already has the key's type.
    const keyCasts = new Map<string, string | null>();
    const missing: string[] = [];
    for (const { view } of selections) {
      for (const key of registry.joinKeysOf(view)) {
        if (keyCasts.has(key.name)) continue;
        const type = typeOf.get(key.name);
        if (type === undefined) {
          missing.push(`${key.name} (needed by feature view ${view.name})`);
          continue;
        }
        const sqlType = duckdbTypeOf(key.type);
        const col = quoteIdentifier(key.name);
        if (type !== sqlType && !checked) {
          const bad = await connection.runAndReadAll(
            `SELECT ${col}::VARCHAR FROM ${ENTITY_TABLE} WHERE ${col} IS NOT NULL AND TRY_CAST(${col} AS ${sqlType}) IS NULL LIMIT 1`,
          );
          const value = bad.getRowsJS()[0]?.[0];
          if (value !== undefined) {
            throw invalid(
              `entity column ${key.name}: ${showValue(value)} is not a valid ${key.type} join key`,
            );
          }
        }
        keyCasts.set(key.name, type === sqlType ? null : `CAST(${col} AS ${sqlType})`);
      }
    }
    if (missing.length > 0) {
      throw invalid(
        `the entity table lacks join key ${missing.join(', ')}; its columns are ${showNames(columns.map((c) => c.name))}`,
      );
    }
    // Columns already of the right type are joined on as they are: a cast copy would be carried
    // through every join beside the original.
    const keyNames = [...keyCasts.keys()];
    const keyColumn = (key: string) =>
      keyCasts.get(key) === null ? quoteIdentifier(key) : `__trove_k${keyNames.indexOf(key)}`;
    const timestampColumn = tsExpr === tsQuoted ? tsQuoted : '__trove_ts';
    const entitySelect = [
      '*',
      ...(timestampColumn === tsQuoted ? [] : [`${tsExpr} AS __trove_ts`]),
      ...keyNames.filter((k) => keyCasts.get(k) !== null).map((k) => `${keyCasts.get(k)} AS ${keyColumn(k)}`),
    ];
    const entities =
      entitySelect.length === 1 ? ENTITY_TABLE : `(SELECT ${entitySelect.join(', ')} FROM ${ENTITY_TABLE})`;

    const bounds = (
      await connection.runAndReadAll(
        `SELECT epoch_us(min(${tsExpr})), epoch_us(max(${tsExpr})) FROM ${ENTITY_TABLE}`,
      )
    ).getRowsJS()[0] as [bigint, bigint];
    const [minTs, maxTs] = bounds;
    // A batch view gives each entity row its newest row (an ASOF join); an aggregation view gives
    // it aggregates of the events in each window (computed per entity row, joined on its number).
    const latest = selections.flatMap((s) => (s.view.kind === 'batch' ? [{ ...s, view: s.view }] : []));
    const windows = selections.flatMap((s) =>
      s.view.kind === 'aggregation' ? [{ ...s, view: s.view }] : [],
    );
    const windowedEntities = { relation: entities, timestampColumn, keyColumn };
    // Views are listed concurrently (each a few file-system calls per partition).
    const windowed: string[] = await Promise.all(
      windows.map(async ({ view, features }): Promise<string> => {
        await finishPendingSwap(store, view.name);
        const requested = requestedWindows(view, features);
        const from = minTs - requested.reachMicros;
        const [fromDate, toDate] = [utcDateOf({ micros: from }), utcDateOf({ micros: maxTs })];
        const { files } = await listFiles(store, view.name, fromDate, toDate);
        const windowed = await windowedView({
          offlineStorePath: store,
          view,
          keys: registry.joinKeysOf(view),
          requested,
          files,
          stored: storedRelation(registry, view, files),
          fromDate,
          toDate,
          from,
          to: maxTs,
        });
        // A dataset recorded in the catalog must rebuild to the same bytes (lineage.md).
        return windowAggregatesSql(windowedEntities, {
          ...windowed,
          fixedOrder: request.lineage !== undefined,
        });
      }),
    );
    const views: PitView[] = await Promise.all(
      latest.map(async ({ view, features }): Promise<PitView> => {
        await finishPendingSwap(store, view.name);
        const ttlMicros = BigInt(Math.round(view.ttl * 1e6));
        const lower = ttlMicros > 0n ? minTs - ttlMicros : undefined;
        const { files, uniqueKeyTimes } = await listFiles(
          store,
          view.name,
          lower === undefined ? undefined : utcDateOf({ micros: lower }),
          utcDateOf({ micros: maxTs }),
        );
        // Partitions are pruned by date, rows are not: a row after the last entity time is never a
        // match, and one older than the first entity time less the ttl is one the ttl check refuses,
        // so a filter would change no answer and costs more to evaluate (about 12% of the join at 10M
        // rows) than the at most two boundary days it removes.
        const keys = registry.joinKeysOf(view).map((k) => k.name);
        const relation = storedRelation(registry, view, files);
        // No entity of the shard matches a row of another bucket: only the shard's rows are joined.
        return {
          relation:
            shard && sameKeySet(keys, shard.keys)
              ? `(SELECT * FROM ${relation} WHERE ${bucketSql(shard.keys, shard.buckets)} = ${shard.bucket})`
              : relation,
          keys,
          ttlMicros,
          uniqueKeyTimes,
          features: features.map((f) => ({
            name: f.name,
            outputName: outputs.find((o) => o.view === view && o.feature === f)!.outputName,
          })),
        };
      }),
    );
    const order: PitOutputColumn[] = outputs.map((o) => {
      const w = windows.findIndex((s) => s.view === o.view);
      if (w < 0)
        return {
          view: latest.findIndex((s) => s.view === o.view),
          name: o.feature.name,
          outputName: o.outputName,
        };
      const column = windowedColumn(windows[w]!.features.indexOf(o.feature));
      return { view: w, windowed: true, name: column, outputName: o.outputName };
    });
    const sql = pointInTimeSql(
      {
        entities,
        timestampColumn,
        keyColumn,
        passThrough: shard
          ? [...(shard.withColumns ? columns.map((c) => c.name) : []), ...(shard.withRow ? [ENTITY_ROW] : [])]
          : columns.map((c) => c.name),
        views,
        windowed,
      },
      order,
    );
    return { db, sql, outputs, close: () => db.close() };
  } catch (err) {
    db.close();
    throw err;
  }
}
