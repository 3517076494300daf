/**
 * Statistics of a feature view's partitions: written by compute beside each staged partition's
 * files (`date=D/_statistics.json`), so they move in with the partition at the swap and never
 * describe other rows than the partition's; read back and merged over a range of dates.
 *
 * A file lists the Parquet files it describes. A partition whose files differ (a push to the offline
 * store added one since) or that has no statistics (computed before they existed, or with them
 * turned off) is described afresh from its files when read; nothing is written then, since a
 * reader holds no lock.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { z } from 'zod';
import type { StoredFeatureView } from '../../definitions/feature-view.ts';
import { sourceColumnsOf } from '../../definitions/view-kinds.ts';
import { quoteString } from '../../duckdb/sql-literals.ts';
import { NotFoundError, TroveError } from '../../errors.ts';
import type { Registry } from '../../registry/registry.ts';
import { finishPendingSwap } from '../finish-pending-swap.ts';
import { type OfflineConfig, openOfflineDuckDb } from '../offline-duckdb.ts';
import { partitionFolder, viewFolder } from '../offline-layout.ts';
import { type Instant, utcDateOf } from '../parse-timestamp.ts';
import { partitionDates } from '../partition-swap.ts';
import { checkStoreFolder } from '../store-folder.ts';
import { computeStatistics } from './compute-statistics.ts';
import {
  type GroupStatistics,
  groupStatisticsSchema,
  type StatisticsColumn,
  type StatisticsSummary,
  statisticsKindOf,
} from './feature-statistics.ts';
import { fewValueColumns } from './few-values.ts';
import { emptyGroup, mergeGroups, summarize } from './merge-statistics.ts';

/** The file in a partition folder holding its statistics (not `*.parquet`, so no reader sees it). */
export const STATISTICS_FILE = '_statistics.json';
const FORMAT_VERSION = 1;

const partitionStatisticsSchema = groupStatisticsSchema.extend({
  formatVersion: z.literal(FORMAT_VERSION),
  files: z.array(z.string()),
});

/** What a compute takes about statistics. */
export interface ComputeStatisticsOptions {
  /** Records no statistics (they are then computed when read); on by default. */
  statistics?: boolean;
}

/** The columns statistics describe: a batch view's features, the columns an aggregation view keeps. */
export function statisticsColumns(view: StoredFeatureView): StatisticsColumn[] {
  return sourceColumnsOf(view).map((c) => ({ name: c.name, type: c.type }));
}

async function parquetNames(folder: string): Promise<string[]> {
  return (await readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith('.parquet')).sort();
}

/** SQL of the list of files of partitions `dates` of `folder`. */
function partitionFiles(folder: string, dates: readonly string[] | '*'): string {
  const globs = (dates === '*' ? ['*'] : dates).map((d) =>
    quoteString(path.join(folder, `date=${d}`, '*.parquet')),
  );
  return `[${globs.join(', ')}]`;
}

/** The rows of partitions `dates` of `folder` with their date; `union_by_name` for files older than a feature. */
function partitionsRelation(folder: string, dates: readonly string[] | '*', unionByName: boolean): string {
  return `read_parquet(${partitionFiles(folder, dates)}, hive_partitioning = true, hive_types = {'date': VARCHAR}${unionByName ? ', union_by_name = true' : ''})`;
}

/** Statistics of partitions `dates` of `folder`, by date. */
async function describePartitions(
  connection: DuckDBConnection,
  folder: string,
  dates: readonly string[] | '*',
  columns: readonly StatisticsColumn[],
  unionByName: boolean,
): Promise<Map<string, GroupStatistics>> {
  const numeric = columns.filter((c) => statisticsKindOf(c.type) === 'numeric').map((c) => c.name);
  return computeStatistics(connection, {
    relation: partitionsRelation(folder, dates, unionByName),
    group: 'date',
    columns,
    fewValues: await fewValueColumns(connection, partitionFiles(folder, dates), numeric),
  });
}

/**
 * Computes the statistics of a compute's staged partitions and writes each beside its files, before
 * the swap commits them.
 */
export async function recordStagedStatistics(
  connection: DuckDBConnection,
  view: StoredFeatureView,
  staging: string,
  staged: ReadonlySet<string>,
  options: ComputeStatisticsOptions,
): Promise<void> {
  if (options.statistics === false || staged.size === 0) return;
  const columns = statisticsColumns(view);
  const groups = await describePartitions(connection, staging, '*', columns, false);
  for (const date of staged) {
    const folder = path.join(staging, `date=${date}`);
    const stats = groups.get(date);
    if (!stats) continue;
    const file = { formatVersion: FORMAT_VERSION, files: await parquetNames(folder), ...stats };
    await writeFile(path.join(folder, STATISTICS_FILE), JSON.stringify(file));
  }
}

/** A partition's stored statistics, when they describe its files as they are and every column as defined. */
async function storedStatistics(
  folder: string,
  columns: readonly StatisticsColumn[],
): Promise<GroupStatistics | undefined> {
  const text = await readFile(path.join(folder, STATISTICS_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = partitionStatisticsSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const files = await parquetNames(folder);
  if (files.join('\0') !== parsed.data.files.join('\0')) return undefined;
  for (const c of columns) if (parsed.data.features[c.name]?.type !== c.type) return undefined;
  return { rows: parsed.data.rows, features: parsed.data.features };
}

/** Which partitions to describe: event times in `[start, end)`, whole days. */
export interface StatisticsRange {
  start?: Instant;
  end?: Instant;
}

/** A view's statistics over a range of partitions, merged. */
export interface ViewStatistics extends StatisticsSummary {
  view: string;
  /** First and last partition (UTC date) described; null when none. */
  from: string | null;
  to: string | null;
  partitions: number;
  /** Partitions described from their files because they had no up-to-date statistics. */
  describedOnRead: string[];
}

/** The statistics of `viewName` merged over the partitions of `range` (every partition without one). */
export async function viewStatistics(
  config: OfflineConfig,
  registry: Registry,
  viewName: string,
  range: StatisticsRange = {},
): Promise<ViewStatistics> {
  const view = registry.featureView(viewName);
  if (!view) throw new NotFoundError('UNKNOWN_FEATURE_VIEW', `unknown feature view ${viewName}`);
  if (view.kind === 'onDemand')
    throw new TroveError(
      'NO_STATISTICS',
      `feature view ${viewName} is an on-demand view: it stores nothing, so it has no statistics`,
    );
  if (range.start && range.end && range.start.micros >= range.end.micros)
    throw new TroveError('INVALID_RANGE', 'statistics: start must be before end');
  const store = config.offlineStorePath;
  await checkStoreFolder(store, viewFolder(store, viewName));
  await finishPendingSwap(store, viewName);
  const from = range.start ? utcDateOf(range.start) : undefined;
  const to = range.end ? utcDateOf({ micros: range.end.micros - 1n }) : undefined;
  const dates = (await partitionDates(viewFolder(store, viewName))).filter(
    (d) => !(from && d < from) && !(to && d > to),
  );
  const columns = statisticsColumns(view);
  const groups: GroupStatistics[] = [];
  const missing: string[] = [];
  for (const date of dates) {
    const stored = await storedStatistics(partitionFolder(store, viewName, date), columns);
    if (stored) groups.push(stored);
    else missing.push(date);
  }
  const withFiles: string[] = [];
  for (const date of missing) {
    if ((await parquetNames(partitionFolder(store, viewName, date))).length > 0) withFiles.push(date);
    else groups.push(emptyGroup(columns));
  }
  if (withFiles.length > 0) {
    const db = await openOfflineDuckDb(config);
    try {
      const fresh = await describePartitions(
        db.connection,
        viewFolder(store, viewName),
        withFiles,
        columns,
        true,
      );
      groups.push(...fresh.values());
    } finally {
      db.close();
    }
  }
  return {
    view: viewName,
    from: dates[0] ?? null,
    to: dates.at(-1) ?? null,
    partitions: dates.length,
    describedOnRead: missing,
    ...summarize(columns, mergeGroups(columns, groups)),
  };
}
