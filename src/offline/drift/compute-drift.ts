/**
 * `trove drift`: how far recent offline data has moved from a training dataset, per feature, as a
 * population stability index over bins taken from the training values (drift-bins.ts). A batch
 * view's recent data is its stored rows with event time in [start, end); an aggregation view's is
 * its features at the end of the range (the newest event when no end is given) for every entity
 * with an event in the range, computed by the point-in-time join. Everything runs in DuckDB.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AggregationView } from '../../definitions/aggregation/aggregation-view.ts';
import type { BatchFeatureView } from '../../definitions/feature-view.ts';
import { duckdbTypeOf, type ValueType } from '../../definitions/value-type.ts';
import { quoteIdentifier, quoteString } from '../../duckdb/sql-literals.ts';
import { NotFoundError, TroveError } from '../../errors.ts';
import type { Registry } from '../../registry/registry.ts';
import { finishPendingSwap } from '../finish-pending-swap.ts';
import { prepareHistoricalQuery } from '../historical-query.ts';
import { findDataset } from '../lineage/dataset-catalog.ts';
import { type OfflineConfig, type OfflineDuckDb, openOfflineDuckDb } from '../offline-duckdb.ts';
import { EVENT_TIMESTAMP } from '../offline-layout.ts';
import { formatInstant, type Instant, instantSql, utcDateOf } from '../parse-timestamp.ts';
import { viewFiles } from '../view-files.ts';
import { binFeature, binningOf, type DriftBin } from './drift-bins.ts';
import { DEFAULT_DRIFT_THRESHOLD, populationStabilityIndex } from './population-stability.ts';

/** What to compare. */
export interface DriftOptions {
  /** The training dataset: a .parquet or .csv file, or the id or name of one in the dataset catalog. */
  dataset: string;
  views: readonly string[];
  /** Recent data from this instant (inclusive); the view's first row by default. */
  start?: Instant;
  /** Recent data up to this instant (exclusive); after the view's last row by default. */
  end?: Instant;
  /** Threshold of features whose definition sets none (default 0.2). */
  threshold?: number;
  /** Quantile bins of numeric features (default 10). */
  bins?: number;
  /** Folder a relative dataset path is resolved against; the current folder by default. */
  baseDir?: string;
}

/** The drift of one feature. */
export interface FeatureDrift {
  view: string;
  feature: string;
  type: ValueType;
  /** The dataset column its training values came from. */
  column: string | null;
  /** Population stability index; null when the feature was not compared (see `skipped`). */
  psi: number | null;
  threshold: number;
  flagged: boolean;
  /** Why the feature was not compared: not in the dataset, or a type without a distribution. */
  skipped?: string;
  expectedRows: number;
  actualRows: number;
  bins: DriftBin[];
}

export interface DriftReport {
  /** The dataset file compared. */
  dataset: string;
  /** Its id in the dataset catalog, when it was named by id or name. */
  datasetId: string | null;
  start: string | null;
  end: string | null;
  features: FeatureDrift[];
  /** Features over their threshold. */
  flagged: number;
}

const DATASET = '__trove_drift_dataset';
const CURRENT = '__trove_drift_current';

/** Nothing to compare with in the range: a 400 as well, with a code of its own for callers to tell. */
export const NO_OFFLINE_ROWS = 'NO_OFFLINE_ROWS';

function noRows(message: string): TroveError {
  return new TroveError(NO_OFFLINE_ROWS, message);
}

function invalid(message: string): TroveError {
  return new TroveError('INVALID_DRIFT_REQUEST', message);
}

/** A dataset to compare: its file and, from the catalog, the column of each `view:feature`. */
interface ResolvedDataset {
  file: string;
  id: string | null;
  outputs: Map<string, string> | null;
}

const DATASET_EXTENSIONS = new Set(['.parquet', '.csv']);

/** A file path as given, or else an id or name in the dataset catalog. */
async function resolveDataset(config: OfflineConfig, options: DriftOptions): Promise<ResolvedDataset> {
  const file = path.resolve(options.baseDir ?? process.cwd(), options.dataset);
  const ext = path.extname(file).toLowerCase();
  const isFile = (await stat(file).catch(() => undefined))?.isFile() === true;
  if (isFile || ext === '.parquet' || ext === '.csv' || ext === '.arrow') {
    if (!DATASET_EXTENSIONS.has(ext)) throw invalid(`dataset ${file}: expected a .parquet or .csv file`);
    if (!isFile) throw invalid(`dataset ${file} does not exist`);
    return { file, id: null, outputs: null };
  }
  const manifest = await findDataset(config.offlineStorePath, options.dataset);
  const out = manifest.output.path;
  if (!DATASET_EXTENSIONS.has(path.extname(out).toLowerCase()))
    throw invalid(
      `dataset ${manifest.id} was written as ${manifest.output.format} (${out}); drift reads .parquet or .csv datasets`,
    );
  if (!(await stat(out).catch(() => undefined))?.isFile())
    throw invalid(`dataset ${manifest.id}: its file ${out} was moved or removed`);
  return {
    file: out,
    id: manifest.id,
    outputs: new Map(manifest.features.map((f) => [`${f.view}:${f.feature}`, f.output])),
  };
}

/**
 * The dataset column holding a view's feature: the catalog's record of it, else `view__feature`,
 * else `feature` (as `trove historical` names columns with and without full feature names).
 */
function datasetColumn(
  columns: readonly string[],
  view: string,
  feature: string,
  outputs: Map<string, string> | null,
): string | null {
  if (outputs) {
    const output = outputs.get(`${view}:${feature}`);
    return output !== undefined && columns.includes(output) ? output : null;
  }
  for (const wanted of [`${view}__${feature}`, feature]) {
    const exact = columns.find((c) => c === wanted);
    if (exact !== undefined) return exact;
    const folded = columns.find((c) => c.toLowerCase() === wanted.toLowerCase());
    if (folded !== undefined) return folded;
  }
  return null;
}

async function loadDataset(connection: DuckDBConnection, file: string): Promise<string[]> {
  const ext = path.extname(file).toLowerCase();
  try {
    if (ext === '.parquet') {
      await connection.run(`CREATE TEMP VIEW ${DATASET} AS SELECT * FROM read_parquet(${quoteString(file)})`);
    } else {
      // Parsed once into a table rather than once per feature.
      await connection.run(
        `CREATE TEMP TABLE ${DATASET} AS SELECT * FROM read_csv(${quoteString(file)}, header = true, auto_detect = true)`,
      );
    }
    const described = await connection.runAndReadAll(`DESCRIBE ${DATASET}`);
    return described.getRowObjectsJS().map((r) => String(r.column_name));
  } catch (err) {
    throw invalid(`dataset ${file} cannot be read: ${(err as Error).message.split('\n')[0]}`);
  }
}

async function countRows(connection: DuckDBConnection, relation: string): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*)::DOUBLE AS n FROM ${relation}`);
  return Number(reader.getRowObjectsJS()[0]?.n ?? 0);
}

function timeFilter(start: Instant | undefined, end: Instant | undefined): string {
  const parts = [
    start ? `${EVENT_TIMESTAMP} >= ${instantSql(start)}` : undefined,
    end ? `${EVENT_TIMESTAMP} < ${instantSql(end)}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '';
}

function describeRange(options: DriftOptions): string {
  if (!options.start && !options.end) return '';
  return ` in [${options.start ? formatInstant(options.start) : '…'}, ${options.end ? formatInstant(options.end) : '…'})`;
}

/** The stored Parquet files of a view whose partitions may hold rows in the range. */
async function storedFiles(config: OfflineConfig, view: string, options: DriftOptions): Promise<string[]> {
  await finishPendingSwap(config.offlineStorePath, view);
  const { files } = await viewFiles(
    config.offlineStorePath,
    view,
    options.start ? utcDateOf(options.start) : undefined,
    options.end ? utcDateOf(options.end) : undefined,
  );
  return files;
}

function parquetList(files: readonly string[]): string {
  return `read_parquet([${files.map(quoteString).join(', ')}], union_by_name = true, hive_partitioning = false)`;
}

/** A batch view's rows in range become CURRENT, a view over its stored files. */
async function batchCurrent(
  connection: DuckDBConnection,
  config: OfflineConfig,
  view: BatchFeatureView,
  options: DriftOptions,
): Promise<void> {
  const files = await storedFiles(config, view.name, options);
  if (files.length === 0)
    throw noRows(`feature view ${view.name} has no offline rows${describeRange(options)}; run trove compute`);
  await connection.run(
    `CREATE OR REPLACE TEMP VIEW ${CURRENT} AS SELECT * FROM ${parquetList(files)} ${timeFilter(options.start, options.end)}`,
  );
}

/**
 * An aggregation view's features at the end of the range for each entity with an event in it,
 * as the training join computes them; the DuckDB instance the join prepared is returned, with the
 * dataset readable in it and the features in CURRENT (named `view__feature`).
 */
async function aggregationCurrent(
  config: OfflineConfig,
  registry: Registry,
  view: AggregationView,
  options: DriftOptions,
  datasetFile: string,
): Promise<OfflineDuckDb> {
  const files = await storedFiles(config, view.name, options);
  if (files.length === 0)
    throw noRows(
      `feature view ${view.name} has no offline events${describeRange(options)}; run trove compute`,
    );
  const keys = registry
    .joinKeysOf(view)
    .map((k) => quoteIdentifier(k.name))
    .join(', ');
  // The range's end is exclusive; the window at the instant just before it holds the same events.
  const at = options.end ? instantSql({ micros: options.end.micros - 1n }) : undefined;
  const inRange = `${quoteIdentifier(view.name)} ${timeFilter(options.start, options.end)}`;
  const sql = at
    ? `SELECT DISTINCT ${keys}, ${at} AS event_timestamp FROM ${inRange}`
    : `SELECT DISTINCT ${keys}, (SELECT max(${EVENT_TIMESTAMP}) FROM ${quoteIdentifier(view.name)}) AS event_timestamp FROM ${inRange}`;
  const query = await prepareHistoricalQuery(
    config,
    registry,
    { entities: { sql }, features: [`${view.name}:*`], fullFeatureNames: true },
    // Named so DuckDB may read the dataset too: it is compared in the same instance.
    datasetFile,
  ).catch((err: unknown) => {
    if (err instanceof TroveError && /entity table is empty/.test(err.message))
      throw noRows(`feature view ${view.name} has no offline events${describeRange(options)}`);
    throw err;
  });
  try {
    await query.db.connection.run(`CREATE TEMP TABLE ${CURRENT} AS ${query.sql}`);
  } catch (err) {
    query.close();
    throw err;
  }
  return query.db;
}

/** Compares the training dataset with recent offline data for every feature of `options.views`. */
export async function computeDrift(
  config: OfflineConfig,
  registry: Registry,
  options: DriftOptions,
): Promise<DriftReport> {
  const quantileBins = options.bins ?? 10;
  if (!Number.isInteger(quantileBins) || quantileBins < 2 || quantileBins > 100)
    throw invalid(`bins: expected a whole number from 2 to 100, got ${quantileBins}`);
  const defaultThreshold = options.threshold ?? DEFAULT_DRIFT_THRESHOLD;
  if (!(defaultThreshold > 0))
    throw invalid(`threshold: expected a positive number, got ${defaultThreshold}`);
  if (options.start && options.end && options.start.micros >= options.end.micros)
    throw invalid('start must be before end');
  if (options.views.length === 0) throw invalid('name at least one feature view (--views a,b)');
  const views = options.views.map((name) => {
    const view = registry.featureView(name);
    if (!view) throw new NotFoundError('VIEW_NOT_FOUND', `unknown feature view ${name}`);
    if (view.kind === 'onDemand')
      throw invalid(`feature view ${name} is an on-demand view: it stores nothing to compare`);
    return view;
  });

  const { file, id, outputs } = await resolveDataset(config, options);
  const features: FeatureDrift[] = [];
  const shared = await openOfflineDuckDb(config, [file]);
  try {
    const columns = await loadDataset(shared.connection, file);
    const datasetRows = await countRows(shared.connection, DATASET);
    if (datasetRows === 0) throw invalid(`dataset ${file} has no rows`);
    for (const view of views) {
      const found = view.features.map((f) => datasetColumn(columns, view.name, f.name, outputs));
      if (found.every((c) => c === null))
        throw invalid(
          `dataset ${file} has no column of feature view ${view.name} (expected ${view.features
            .map((f) => `${view.name}__${f.name} or ${f.name}`)
            .join(', ')})`,
        );
      // Rows where every compared feature of the view is null are left out on both sides: in a
      // training dataset they are entity rows the join found no row for (within the ttl), which
      // stored rows never are, so they would read as a drift of nulls that is not in the data.
      const currentName = (feature: string) =>
        view.kind === 'aggregation' ? `${view.name}__${feature}` : feature;
      const compared = view.features.flatMap((f, i) =>
        found[i] ? [{ feature: f.name, column: found[i] }] : [],
      );
      const trainingRows = `(SELECT * FROM ${DATASET} WHERE NOT (${compared
        .map((c) => `${quoteIdentifier(c.column)} IS NULL`)
        .join(' AND ')}))`;
      const recentRows = `(SELECT * FROM ${CURRENT} WHERE NOT (${compared
        .map((c) => `${quoteIdentifier(currentName(c.feature))} IS NULL`)
        .join(' AND ')}))`;
      let db = shared;
      if (view.kind === 'aggregation') {
        db = await aggregationCurrent(config, registry, view, options, file);
        await loadDataset(db.connection, file);
      } else await batchCurrent(shared.connection, config, view, options);
      try {
        if ((await countRows(db.connection, CURRENT)) === 0)
          throw noRows(`feature view ${view.name} has no offline rows${describeRange(options)}`);
        for (const [i, feature] of view.features.entries()) {
          const threshold =
            ('driftThreshold' in feature ? feature.driftThreshold : undefined) ?? defaultThreshold;
          const column = found[i] ?? null;
          const base = { view: view.name, feature: feature.name, type: feature.type, column, threshold };
          const skipped =
            column === null
              ? 'not in the dataset'
              : binningOf(feature.type) === undefined
                ? `${feature.type} values have no distribution to compare`
                : undefined;
          if (skipped !== undefined) {
            features.push({
              ...base,
              psi: null,
              flagged: false,
              skipped,
              expectedRows: 0,
              actualRows: 0,
              bins: [],
            });
            continue;
          }
          const sqlType = duckdbTypeOf(feature.type);
          const currentColumn = currentName(feature.name);
          const bins = await binFeature(
            db.connection,
            feature.type,
            `(SELECT TRY_CAST(${quoteIdentifier(column!)} AS ${sqlType}) AS v FROM ${trainingRows})`,
            `(SELECT ${quoteIdentifier(currentColumn)}::${sqlType} AS v FROM ${recentRows})`,
            quantileBins,
          );
          const psi = populationStabilityIndex(bins);
          features.push({
            ...base,
            psi,
            flagged: psi !== null && psi > threshold,
            expectedRows: bins.reduce((n, b) => n + b.expected, 0),
            actualRows: bins.reduce((n, b) => n + b.actual, 0),
            bins,
          });
        }
      } finally {
        if (db !== shared) db.close();
      }
    }
  } finally {
    shared.close();
  }
  return {
    dataset: file,
    datasetId: id,
    start: options.start ? formatInstant(options.start) : null,
    end: options.end ? formatInstant(options.end) : null,
    features,
    flagged: features.filter((f) => f.flagged).length,
  };
}
