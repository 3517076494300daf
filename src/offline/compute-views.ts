import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { StoredFeatureView } from '../definitions/feature-view.ts';
import { featureViewRowsSql, pushFolder, type SourceContext } from '../definitions/source-sql.ts';
import { duckdbTypeOf, type ValueType } from '../definitions/value-type.ts';
import { sourceColumnsOf } from '../definitions/view-kinds.ts';
import { registerSourceViews } from '../duckdb/register-source-views.ts';
import { quoteIdentifier, quoteString } from '../duckdb/sql-literals.ts';
import { checkUserQuery } from '../duckdb/user-query.ts';
import { NotFoundError, TroveError } from '../errors.ts';
import type { Registry } from '../registry/registry.ts';
import { refreshEventIndex } from './aggregation/event-index.ts';
import { lockView } from './compute-lock.ts';
import { type OfflineConfig, openOfflineDuckDb } from './offline-duckdb.ts';
import {
  CREATED_TIMESTAMP,
  EVENT_TIMESTAMP,
  PUSH_ID,
  partitionFolder,
  UNIQUE_KEY_TIMES_MARKER,
  UNIQUE_KEYS_MARKER,
  viewFolder,
} from './offline-layout.ts';
import { type Instant, instantSql, utcDateOf } from './parse-timestamp.ts';
import {
  abandonSwap,
  commitSwap,
  newSwapId,
  partitionDates,
  recoverView,
  type SwapFailpoint,
  stagingFolder,
} from './partition-swap.ts';
import { type ComputeStatisticsOptions, recordStagedStatistics } from './statistics/view-statistics.ts';
import { checkStoreFolder } from './store-folder.ts';
import { ValidationError, type ViewValidation } from './validation/check-failure.ts';
import { logSkippedChecks } from './validation/skipped-checks.ts';
import {
  type ComputeChecksOptions,
  checkBeforeCommit,
  collectRefusal,
} from './validation/validate-compute.ts';

/**
 * What to compute: some or all views, over an event-time range `[start, end)`; with `skipChecks`,
 * without running the views' data-quality checks.
 */
export interface ComputeOptions extends ComputeChecksOptions, ComputeStatisticsOptions {
  /** View names; all views with `offline` set when absent. */
  views?: readonly string[];
  /** Inclusive lower bound of event time; none when absent. */
  start?: Instant;
  /** Exclusive upper bound of event time; none when absent. */
  end?: Instant;
  /** Called as each step starts and ends, for progress display. */
  onProgress?: (event: ComputeProgress) => void;
  /** Test hook to simulate a crash inside the partition swap. */
  failpoint?: SwapFailpoint;
}

export interface ComputeProgress {
  view: string;
  step: 'start' | 'staged' | 'shard' | 'done';
  index: number;
  total: number;
  rows?: number;
  partitions?: number;
  /** With step `shard` (a distributed compute, distributed/): the shard that finished. */
  shard?: ComputeShardProgress;
}

/** A shard of a distributed compute that finished: one partition day of the view staged. */
export interface ComputeShardProgress {
  day: string;
  /** Position of the shard in the view's run, from 0, and the run's shard count. */
  index: number;
  count: number;
  /** Rows the shard staged, and seconds from queueing to its end. */
  rows: number;
  seconds: number;
  /** Shards of the view finished so far, and the rows they staged. */
  finished: number;
  totalRows: number;
}

/** What one view's compute wrote. */
export interface ViewComputeResult {
  view: string;
  /** Rows written to the replaced partitions (new rows in the range and kept rows beside it). */
  rows: number;
  /** Partitions (dates) replaced or removed. */
  partitions: string[];
}

/** SQL of `column` in `[start, end)`; `true` without bounds. */
export function rangeSql(column: string, start?: Instant, end?: Instant): string {
  const parts: string[] = [];
  if (start) parts.push(`${column} >= ${instantSql(start)}`);
  if (end) parts.push(`${column} < ${instantSql(end)}`);
  return parts.length > 0 ? parts.join(' AND ') : 'true';
}

async function parquetFilesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.parquet'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** The push files and columns of every push source, as `SourceContext` wants them. */
export async function offlineSourceContext(
  config: OfflineConfig,
  registry: Registry,
): Promise<SourceContext> {
  const pushFiles: Record<string, string[]> = {};
  const pushColumns: Record<string, { name: string; type: ValueType }[]> = {};
  for (const source of registry.definitions.sources) {
    if (source.kind !== 'push') continue;
    const folder = pushFolder(config.offlineStorePath, source.name);
    await checkStoreFolder(config.offlineStorePath, folder);
    pushFiles[source.name] = await parquetFilesUnder(folder);
    const columns = new Map<string, ValueType>();
    for (const view of registry.storedViews()) {
      if (view.source !== source.name) continue;
      for (const k of registry.joinKeysOf(view)) columns.set(k.name, k.type);
      for (const c of sourceColumnsOf(view)) columns.set(c.name, c.type);
    }
    pushColumns[source.name] = [...columns].map(([name, type]) => ({ name, type }));
  }
  return {
    repoDir: config.repoDir,
    offlineStorePath: config.offlineStorePath,
    pushFiles,
    pushColumns,
    dataDirs: config.dataDirs,
  };
}

/** Refuses a transformation that is not one query before any SQL that embeds it runs. */
export async function checkTransformation(
  connection: DuckDBConnection,
  view: StoredFeatureView,
): Promise<void> {
  if (view.kind !== 'batch' || view.transformation === undefined) return;
  await checkUserQuery(connection, view.transformation, `feature view ${view.name}: the transformation`);
}

/**
 * `relation` with a PUSH_ID column, NULL wherever it has none: rows of batch sources, and push files
 * or partitions written before the column existed (all of them lacking it leaves it out entirely).
 */
function withPushId(relation: string): string {
  return `(SELECT NULL::VARCHAR AS ${PUSH_ID} WHERE false) UNION ALL BY NAME (SELECT * FROM ${relation})`;
}

/**
 * The canonical rows of a view from its source: join keys, `event_timestamp`, `created_timestamp`
 * and the view's source columns (a batch view's features, the columns an aggregation view
 * aggregates), each cast to its type, so every file of the store has the same schema whatever the
 * source's own types are. An aggregation view's rows also keep the id of the push that brought
 * each (PUSH_ID).
 */
export function canonicalRowsSql(registry: Registry, view: StoredFeatureView): string {
  const source = registry.source(view.source);
  if (!source)
    throw new NotFoundError('UNKNOWN_SOURCE', `feature view ${view.name}: unknown source ${view.source}`);
  // A mapped timestamp column is found under its new name.
  const renamed = (column: string) => source.fieldMapping?.[column] ?? column;
  const created = source.createdTimestampField
    ? `CAST(${quoteIdentifier(renamed(source.createdTimestampField))} AS TIMESTAMPTZ)`
    : 'NULL::TIMESTAMPTZ';
  const columns = [
    ...registry
      .joinKeysOf(view)
      .map(
        (k) => `CAST(${quoteIdentifier(k.name)} AS ${duckdbTypeOf(k.type)}) AS ${quoteIdentifier(k.name)}`,
      ),
    `CAST(${quoteIdentifier(renamed(source.timestampField))} AS TIMESTAMPTZ) AS ${EVENT_TIMESTAMP}`,
    `${created} AS ${CREATED_TIMESTAMP}`,
    ...sourceColumnsOf(view).map(
      (f) => `CAST(${quoteIdentifier(f.name)} AS ${duckdbTypeOf(f.type)}) AS ${quoteIdentifier(f.name)}`,
    ),
  ];
  const rows = `(${featureViewRowsSql(view, source)})`;
  if (view.kind !== 'aggregation') return `SELECT ${columns.join(', ')} FROM ${rows}`;
  columns.push(`CAST(${PUSH_ID} AS VARCHAR) AS ${PUSH_ID}`);
  return `SELECT ${columns.join(', ')} FROM (${withPushId(rows)})`;
}

/** The canonical columns of a view's files, quoted and comma-separated, in layout order. */
export function canonicalColumnList(registry: Registry, view: StoredFeatureView): string {
  return [
    ...registry.joinKeysOf(view).map((k) => k.name),
    EVENT_TIMESTAMP,
    CREATED_TIMESTAMP,
    ...sourceColumnsOf(view).map((f) => f.name),
    ...(view.kind === 'aggregation' ? [PUSH_ID] : []),
  ]
    .map(quoteIdentifier)
    .join(', ');
}

/** What a staged partition repeats: join keys, or join keys with event time. */
interface Repeats {
  keys: boolean;
  times: boolean;
}

const stagedRows = (staging: string, dates: readonly string[] | '*') =>
  `read_parquet([${(dates === '*' ? ['*'] : dates)
    .map((d) => quoteString(path.join(staging, `date=${d}`, '*.parquet')))
    .join(', ')}], hive_partitioning = true, hive_types = {'date': VARCHAR})`;

async function findRepeats(
  connection: DuckDBConnection,
  staging: string,
  keys: readonly string[],
): Promise<Map<string, Repeats>> {
  const reader = await connection.runAndReadAll(
    `SELECT date::VARCHAR, bool_or(n > 1), bool_or(n > times) FROM (
       SELECT date, count(*) AS n, count(DISTINCT ${EVENT_TIMESTAMP}) AS times
       FROM ${stagedRows(staging, '*')}
       GROUP BY date, ${keys.join(', ')})
     GROUP BY date`,
  );
  return new Map(
    reader.getRowsJS().map((r) => [String(r[0]), { keys: r[1] === true, times: r[2] === true }]),
  );
}

/** Of `dates`, those holding rows equal on join keys, event time and created time. */
async function datesRepeatingIdentities(
  connection: DuckDBConnection,
  staging: string,
  keys: readonly string[],
  dates: readonly string[],
): Promise<string[]> {
  if (dates.length === 0) return [];
  const reader = await connection.runAndReadAll(
    `SELECT DISTINCT date::VARCHAR FROM ${stagedRows(staging, dates)}
     GROUP BY date, ${[...keys, EVENT_TIMESTAMP, CREATED_TIMESTAMP].join(', ')} HAVING count(*) > 1`,
  );
  return reader.getRowsJS().map((r) => String(r[0]));
}

/**
 * Keeps one row of each set that shares join keys, event time and created time, in the staged
 * partition of `date`: the one whose features are greatest, compared in definition order with null
 * lowest. The point-in-time join and materialization break ties on (event time, created time) only,
 * so without this a training dataset could take either row, differently from one query to the next
 * and from what was materialized. Returns the rows dropped.
 */
async function dropRepeatedIdentities(
  connection: DuckDBConnection,
  staging: string,
  date: string,
  view: StoredFeatureView,
  columns: string,
  keys: readonly string[],
): Promise<number> {
  const folder = path.join(staging, `date=${date}`);
  const rewritten = path.join(staging, `rewrite-${date}`);
  await mkdir(rewritten);
  const order = view.features.map((f) => `${quoteIdentifier(f.name)} DESC NULLS LAST`).join(', ');
  const identity = [...keys, EVENT_TIMESTAMP, CREATED_TIMESTAMP].join(', ');
  const reader = await connection.runAndReadAll(
    `SELECT count(*) FROM read_parquet(${quoteString(path.join(folder, '*.parquet'))}, hive_partitioning = false)`,
  );
  const before = Number(reader.getColumns()[0]?.[0] ?? 0);
  const copied = await connection.runAndReadAll(
    `COPY (SELECT ${columns} FROM read_parquet(${quoteString(path.join(folder, '*.parquet'))}, hive_partitioning = false)
       QUALIFY row_number() OVER (PARTITION BY ${identity}${order ? ` ORDER BY ${order}` : ''}) = 1
       ORDER BY ${[...keys, EVENT_TIMESTAMP].join(', ')})
     TO ${quoteString(path.join(rewritten, 'part-0.parquet'))} (FORMAT parquet, COMPRESSION zstd)`,
  );
  const after = Number(copied.getColumns()[0]?.[0] ?? 0);
  // Both folders are in the private staging folder: nothing reads them before the swap commits.
  await rm(folder, { recursive: true });
  await rename(rewritten, folder);
  return before - after;
}

/**
 * Marks the staged partitions in which no two rows share join keys and event time
 * (UNIQUE_KEY_TIMES_MARKER), and those in which no two share join keys at all (UNIQUE_KEYS_MARKER).
 * Computed once here so that later joins can skip the created-time tie-break and later
 * materializations the newest-row pass. Null keys count as equal, which only ever leaves a marker out.
 */
async function markUniqueness(
  repeats: ReadonlyMap<string, Repeats>,
  staging: string,
  dates: ReadonlySet<string>,
): Promise<void> {
  for (const date of dates) {
    const found = repeats.get(date);
    const folder = path.join(staging, `date=${date}`);
    if (!found?.keys) await writeFile(path.join(folder, UNIQUE_KEYS_MARKER), '');
    if (!found?.times) await writeFile(path.join(folder, UNIQUE_KEY_TIMES_MARKER), '');
  }
}

/** The live partitions of a view a compute over `[start, end)` can change: all of them without a range. */
export function touchedDates(live: readonly string[], start?: Instant, end?: Instant): Set<string> {
  if (!start && !end) return new Set(live);
  return new Set(
    live.filter(
      (d) => (!start || d >= utcDateOf(start)) && (!end || d <= utcDateOf({ micros: end.micros - 1n })),
    ),
  );
}

/** What to stage of a view's rows, and where. */
export interface StageArgs {
  /** A folder of the view's own, private until a swap commits it (see partition-swap.ts). */
  staging: string;
  start?: Instant;
  end?: Instant;
  /** Live partitions the range touches (touchedDates). */
  touched: ReadonlySet<string>;
  /** Only this UTC date's rows (a shard of a distributed compute); every date when absent. */
  day?: string;
}

/** Micros of 00:00 UTC of a `YYYY-MM-DD` date. */
function dayStart(day: string): Instant {
  return { micros: BigInt(Date.parse(`${day}T00:00:00Z`)) * 1000n };
}

/**
 * Writes a view's new rows into `staging`, one `date=D` folder per partition: the source's rows in
 * the range, with the rows of touched partitions outside it kept; a batch view's repeated
 * identities reduced and its partitions marked (see markUniqueness). Returns the rows written and
 * the dates staged.
 */
export async function stageView(
  connection: DuckDBConnection,
  config: OfflineConfig,
  registry: Registry,
  view: StoredFeatureView,
  args: StageArgs,
): Promise<{ rows: number; staged: Set<string> }> {
  const store = config.offlineStorePath;
  const { staging, start, end, day } = args;
  const touched = day === undefined ? [...args.touched] : args.touched.has(day) ? [day] : [];
  const columns = canonicalColumnList(registry, view);
  const keys = registry.joinKeysOf(view).map((k) => quoteIdentifier(k.name));
  const inRange = rangeSql(EVENT_TIMESTAMP, start, end);
  const inDay =
    day === undefined
      ? 'true'
      : rangeSql(EVENT_TIMESTAMP, dayStart(day), { micros: dayStart(day).micros + 86_400_000_000n });
  // Rows without an event time can never be joined and have no partition, so they are dropped.
  let newRows = `SELECT * FROM (${canonicalRowsSql(registry, view)}) WHERE ${EVENT_TIMESTAMP} IS NOT NULL AND ${inRange} AND ${inDay}`;
  // Rows of touched partitions outside the range are kept: a range edge inside a day must not
  // drop the rest of that day.
  const keptFiles = touched.map((d) => path.join(partitionFolder(store, view.name, d), '*.parquet'));
  if (keptFiles.length > 0 && (start || end)) {
    const kept = `read_parquet([${keptFiles.map(quoteString).join(', ')}], union_by_name = true, hive_partitioning = false)`;
    newRows = `SELECT ${columns} FROM (${newRows}) UNION ALL BY NAME SELECT ${columns} FROM ${
      view.kind === 'aggregation' ? `(${withPushId(kept)})` : kept
    } WHERE NOT (${inRange})`;
  }
  const order = [...keys, EVENT_TIMESTAMP].join(', ');
  let rows: number;
  try {
    const copied = await connection.runAndReadAll(
      `COPY (SELECT ${columns}, strftime(${EVENT_TIMESTAMP}, '%Y-%m-%d') AS date FROM (${newRows}) ORDER BY ${order})
       TO ${quoteString(staging)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (date), FILENAME_PATTERN 'part-{i}', OVERWRITE_OR_IGNORE)`,
    );
    rows = Number(copied.getColumns()[0]?.[0] ?? 0);
  } catch (err) {
    throw new TroveError(
      'COMPUTE_FAILED',
      `feature view ${view.name}: computing from source ${view.source} failed: ${(err as Error).message.split('\n')[0]}`,
    );
  }
  const staged = new Set(await partitionDates(staging));
  // Every row of an aggregation view's source is an event, repeats included (SPEC §7): only a
  // batch view reduces repeated identities, and only its joins use the markers.
  if (staged.size > 0 && view.kind === 'batch') {
    let repeats = await findRepeats(connection, staging, keys);
    // Only a partition repeating (keys, event time) can repeat whole identities.
    const tied = [...repeats].filter(([, r]) => r.times).map(([date]) => date);
    const repeatedDates = await datesRepeatingIdentities(connection, staging, keys, tied);
    if (repeatedDates.length > 0) {
      for (const date of repeatedDates)
        rows -= await dropRepeatedIdentities(connection, staging, date, view, columns, keys);
      repeats = await findRepeats(connection, staging, keys);
    }
    await markUniqueness(repeats, staging, staged);
  }
  return { rows, staged };
}

/** A view's rows staged by a compute, single-process or distributed, waiting to be committed. */
export interface StagedView {
  /** The swap's id (partition-swap.ts). */
  id: string;
  staging: string;
  /** Dates staged. */
  staged: ReadonlySet<string>;
  /** Dates the swap replaces: the staged ones and live ones the range touched. */
  dates: readonly string[];
  rows: number;
}

/**
 * The end of every compute of a view: the data-quality checks over all its staged days at once,
 * then `beforeCommit` (statistics, a lease's confirmation), then the swap that commits. A refused
 * view leaves nothing in the store but its validation record; the caller abandons the swap.
 */
export async function checkAndCommit(
  connection: DuckDBConnection,
  store: string,
  registry: Registry,
  view: StoredFeatureView,
  { id, staging, staged, dates, rows }: StagedView,
  options: ComputeOptions,
  beforeCommit: () => Promise<void>,
): Promise<ViewComputeResult> {
  const recordChecks = await checkBeforeCommit(
    connection,
    store,
    registry,
    view,
    staging,
    staged,
    rows,
    options,
  );
  await beforeCommit();
  await commitSwap(
    store,
    view.name,
    { id, dates: dates.map((date) => ({ date, staged: staged.has(date) })) },
    options.failpoint,
  );
  if (view.kind === 'aggregation')
    await refreshEventIndex(connection, store, view, registry.joinKeysOf(view));
  await recordChecks();
  return { view: view.name, rows, partitions: [...dates] };
}

async function computeView(
  connection: DuckDBConnection,
  config: OfflineConfig,
  registry: Registry,
  view: StoredFeatureView,
  options: ComputeOptions,
): Promise<ViewComputeResult> {
  const store = config.offlineStorePath;
  await checkTransformation(connection, view);
  await recoverView(store, view.name);
  const live = await partitionDates(viewFolder(store, view.name));
  // Partitions the range touches; only these can change. Without a range, every partition can.
  const touched = touchedDates(live, options.start, options.end);
  const id = newSwapId();
  const staging = stagingFolder(store, view.name, id);
  try {
    const { rows, staged } = await stageView(connection, config, registry, view, {
      staging,
      touched,
      ...(options.start ? { start: options.start } : {}),
      ...(options.end ? { end: options.end } : {}),
    });
    const dates = [...new Set([...touched, ...staged])].sort();
    options.onProgress?.({
      view: view.name,
      step: 'staged',
      index: 0,
      total: 0,
      rows,
      partitions: dates.length,
    });
    options.failpoint?.('staged');
    return await checkAndCommit(
      connection,
      store,
      registry,
      view,
      { id, staging, staged, dates, rows },
      options,
      () => recordStagedStatistics(connection, view, staging, staged, options),
    );
  } catch (err) {
    await abandonSwap(store, view.name, id);
    throw err;
  }
}

/** The views a compute covers, checked by name; on-demand views store nothing and are skipped. */
export function selectViews(registry: Registry, names?: readonly string[]): StoredFeatureView[] {
  if (!names || names.length === 0) return registry.storedViews().filter((v) => v.offline);
  return names.flatMap((name) => {
    const view = registry.featureView(name);
    if (!view) throw new NotFoundError('UNKNOWN_FEATURE_VIEW', `unknown feature view ${name}`);
    return view.kind === 'onDemand' ? [] : [view];
  });
}

/**
 * Computes views into the offline store (see offline-layout.ts). With a range, exactly the rows
 * with event time in `[start, end)` are replaced; without one, the view is rebuilt. Each view is
 * swapped in on its own (see partition-swap.ts), so a failure leaves earlier views computed and
 * later ones as they were. A view whose rows fail its checks commits nothing; the others are
 * computed, then a ValidationError reports every failure.
 */
export async function computeViews(
  config: OfflineConfig,
  registry: Registry,
  options: ComputeOptions = {},
): Promise<ViewComputeResult[]> {
  if (options.start && options.end && options.start.micros >= options.end.micros) {
    throw new TroveError('INVALID_RANGE', 'compute: start must be before end');
  }
  const views = selectViews(registry, options.views);
  const db = await openOfflineDuckDb(config);
  const results: ViewComputeResult[] = [];
  const refused: ViewValidation[] = [];
  if (options.skipChecks)
    logSkippedChecks(
      options.log,
      'compute',
      views.map((v) => v.name),
    );
  try {
    const failures = await registerSourceViews(
      db.connection,
      registry.definitions.sources,
      await offlineSourceContext(config, registry),
    );
    const failed = new Map(failures.map((f) => [f.source.name, f.message]));
    for (const [index, view] of views.entries()) {
      const reason = failed.get(view.source);
      if (reason !== undefined) {
        throw new TroveError(
          'COMPUTE_FAILED',
          `feature view ${view.name}: source ${view.source} cannot be read: ${reason.split('\n')[0]}`,
        );
      }
      options.onProgress?.({ view: view.name, step: 'start', index, total: views.length });
      const unlock = await lockView(config.offlineStorePath, view.name);
      try {
        const report = options.onProgress;
        const result = await computeView(db.connection, config, registry, view, {
          ...options,
          ...(report ? { onProgress: (e) => report({ ...e, index, total: views.length }) } : {}),
        }).catch((err: unknown) => collectRefusal(err, refused));
        if (result === undefined) continue;
        results.push(result);
        options.onProgress?.({
          view: view.name,
          step: 'done',
          index,
          total: views.length,
          rows: result.rows,
          partitions: result.partitions.length,
        });
      } finally {
        await unlock();
      }
    }
  } finally {
    db.close();
  }
  if (refused.length > 0)
    throw new ValidationError(
      refused,
      results.map((r) => r.view),
    );
  return results;
}
