/**
 * The event index of an aggregation view: a copy of all its events in one Parquet file, sorted by
 * join keys and event time, with each first/last/last_n column's rank already computed, written by
 * compute after the view's partitions are swapped in. A training dataset reads it instead of the
 * partitions when it still describes them: events arriving in join-key order make the range join
 * and the per-row aggregation touch each entity's rows together, and the ranks need no sort at
 * query time. The partitions stay the truth: an index that does not match them file for file
 * (a push added a file, a compute died before rewriting it) is not read.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  type AggregationView,
  aggregationFeatureSpecs,
} from '../../definitions/aggregation/aggregation-view.ts';
import { duckdbTypeOf } from '../../definitions/value-type.ts';
import { quoteIdentifier, quoteString } from '../../duckdb/sql-literals.ts';
import { CREATED_TIMESTAMP, EVENT_TIMESTAMP, viewFolder } from '../offline-layout.ts';
import { newSwapId } from '../partition-swap.ts';
import { viewFiles } from '../view-files.ts';

/** Folder of a view's event index, beside its partitions (not a `date=` folder, so never one of them). */
export function eventIndexFolder(offlineStorePath: string, view: string): string {
  return path.join(viewFolder(offlineStorePath, view), '_event-index');
}

const MANIFEST = 'manifest.json';

/** Functions whose columns get ranks (as in requested-windows.ts). */
const ORDERED: ReadonlySet<string> = new Set(['first', 'last', 'last_n']);

/** One partition file the index was built from, as the file system reported it. */
interface IndexedFile {
  /** Path relative to the view's folder: `date=YYYY-MM-DD/<name>.parquet`. */
  file: string;
  size: number;
  mtimeMs: number;
}

/** What an index holds and what it was built from. */
interface Manifest {
  /** The index's Parquet file, in the index folder. */
  data: string;
  keys: { name: string; sqlType: string }[];
  columns: { name: string; sqlType: string }[];
  /** Ranked columns; column `__trove_ix_rn{i}` of the index ranks `ranked[i]`. */
  ranked: string[];
  /** Columns holding no null in any event. */
  nonNull: string[];
  files: IndexedFile[];
}

function indexRank(i: number): string {
  return `__trove_ix_rn${i}`;
}

async function describe(viewDir: string, files: readonly string[]): Promise<IndexedFile[]> {
  return Promise.all(
    files.map(async (f) => {
      const s = await stat(f);
      return { file: path.relative(viewDir, f), size: s.size, mtimeMs: s.mtimeMs };
    }),
  );
}

/**
 * Rebuilds the event index of `view` from all its partitions (ranks are over every event of an
 * entity, so a compute of any range rewrites the whole index). Call under the view's compute lock,
 * after the swap. A view without events gets no index.
 */
export async function writeEventIndex(
  connection: DuckDBConnection,
  offlineStorePath: string,
  view: AggregationView,
  keys: readonly { name: string; type: Parameters<typeof duckdbTypeOf>[0] }[],
): Promise<void> {
  const folder = eventIndexFolder(offlineStorePath, view.name);
  const viewDir = viewFolder(offlineStorePath, view.name);
  const { files } = await viewFiles(offlineStorePath, view.name);
  // The old index no longer describes the partitions: gone before anything new is written.
  await rm(path.join(folder, MANIFEST), { force: true });
  if (files.length === 0) {
    await rm(folder, { recursive: true, force: true });
    return;
  }
  const ranked = [
    ...new Set(
      aggregationFeatureSpecs(view).flatMap((s) =>
        s.column !== undefined && ORDERED.has(s.function) ? [s.column] : [],
      ),
    ),
  ];
  const manifest: Manifest = {
    data: `events-${newSwapId()}.parquet`,
    keys: keys.map((k) => ({ name: k.name, sqlType: duckdbTypeOf(k.type) })),
    columns: view.columns.map((c) => ({ name: c.name, sqlType: duckdbTypeOf(c.type) })),
    ranked,
    nonNull: [],
    files: await describe(viewDir, files),
  };
  await mkdir(folder, { recursive: true });
  const k = manifest.keys.map((c) => quoteIdentifier(c.name));
  // Within an entity, ranks follow the order windowEventsRelation's do (SPEC §7): event time,
  // created time with null lowest, value; null values get none. Numbered over all events with the
  // keys first, no two events share one, so a value is looked up by its rank alone.
  const ranks = ranked.map((column, i) => {
    const c = quoteIdentifier(column);
    return `CASE WHEN ${c} IS NOT NULL THEN row_number() OVER (ORDER BY ${[...k, '__trove_ets', '__trove_cts', c].join(', ')}) END AS ${indexRank(i)}`;
  });
  const select = [
    ...k,
    `epoch_us(${quoteIdentifier(EVENT_TIMESTAMP)}) AS __trove_ets`,
    `coalesce(epoch_us(${quoteIdentifier(CREATED_TIMESTAMP)}), (-9223372036854775808)::BIGINT) AS __trove_cts`,
    ...manifest.columns.map(
      (c) => `CAST(${quoteIdentifier(c.name)} AS ${c.sqlType}) AS ${quoteIdentifier(c.name)}`,
    ),
  ];
  const events = `SELECT ${select.join(', ')} FROM read_parquet([${files.map(quoteString).join(', ')}], union_by_name = true, hive_partitioning = false)`;
  await connection.run(
    `COPY (SELECT * EXCLUDE (__trove_cts)${ranks.map((r) => `, ${r}`).join('')} FROM (${events}) ORDER BY ${[...k, '__trove_ets'].join(', ')})
     TO ${quoteString(path.join(folder, manifest.data))} (FORMAT parquet, COMPRESSION zstd)`,
  );
  if (manifest.columns.length > 0) {
    const counted = await connection.runAndReadAll(
      `SELECT ${manifest.columns.map((c) => `count(${quoteIdentifier(c.name)}) = count(*)`).join(', ')}
       FROM read_parquet(${quoteString(path.join(folder, manifest.data))})`,
    );
    const full = counted.getRowsJS()[0] ?? [];
    manifest.nonNull = manifest.columns.filter((_, i) => full[i] === true).map((c) => c.name);
  }
  const staged = path.join(folder, `${MANIFEST}.${newSwapId()}`);
  await writeFile(staged, JSON.stringify(manifest));
  await rename(staged, path.join(folder, MANIFEST));
  // Earlier data files: a reader that took the old manifest just before may still be opening its
  // file, so the one before this compute's is left until the next.
  const names = await readdir(folder);
  const data = names.filter((n) => n.startsWith('events-') && n !== manifest.data);
  const times = await Promise.all(
    data.map(async (n) => ({ n, t: (await stat(path.join(folder, n))).mtimeMs })),
  );
  times.sort((a, b) => b.t - a.t);
  for (const { n } of times.slice(1)) await rm(path.join(folder, n), { force: true });
  for (const n of names.filter((n) => n.startsWith(`${MANIFEST}.`)))
    await rm(path.join(folder, n), { force: true });
}

/**
 * `writeEventIndex`, never failing the compute that calls it: the index only speeds reads up, and
 * one that could not be written is simply absent (its manifest is removed first), so reads fall
 * back to the partitions.
 */
export async function refreshEventIndex(
  connection: DuckDBConnection,
  offlineStorePath: string,
  view: AggregationView,
  keys: readonly { name: string; type: Parameters<typeof duckdbTypeOf>[0] }[],
): Promise<void> {
  try {
    await writeEventIndex(connection, offlineStorePath, view, keys);
  } catch {
    await rm(path.join(eventIndexFolder(offlineStorePath, view.name), MANIFEST), { force: true }).catch(
      () => undefined,
    );
  }
}

/** What a training dataset asks of an index. */
export interface IndexRequest {
  keys: readonly { name: string; sqlType: string }[];
  /** Aggregated columns with their DuckDB types. */
  columns: readonly { name: string; sqlType: string }[];
  /** Columns whose ranks are needed, in rank column order of the query. */
  ordered: readonly string[];
  /** The partition files the query would read, for dates `[fromDate, toDate]`. */
  files: readonly string[];
  fromDate: string;
  toDate: string;
}

/** The index's file and the index column of each requested rank, or undefined when it cannot serve. */
export interface UsableIndex {
  file: string;
  /** Index rank column for each of the request's `ordered`, in that order. */
  ranks: string[];
  /** Columns holding no null in the index. */
  nonNull: string[];
}

async function readManifest(folder: string): Promise<Manifest | undefined> {
  try {
    return JSON.parse(await readFile(path.join(folder, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

const same = (
  a: readonly { name: string; sqlType: string }[],
  b: readonly { name: string; sqlType: string }[],
) => a.length === b.length && a.every((x, i) => x.name === b[i]!.name && x.sqlType === b[i]!.sqlType);

/**
 * The event index of `view` if it holds exactly the events of `request.files` for the dates asked
 * (same files, sizes and modification times; none missing, none added), with the keys, column
 * types and ranks asked, and those dates hold at least half of it (by file size). Dates outside
 * the range may differ: the index's other events are filtered out by time, and ranks only order
 * events, which events elsewhere do not change.
 */
export async function usableEventIndex(
  offlineStorePath: string,
  view: string,
  request: IndexRequest,
): Promise<UsableIndex | undefined> {
  const folder = eventIndexFolder(offlineStorePath, view);
  const manifest = await readManifest(folder);
  if (!manifest || !same(manifest.keys, request.keys)) return undefined;
  for (const c of request.columns) {
    const m = manifest.columns.find((x) => x.name === c.name);
    if (!m || m.sqlType !== c.sqlType) return undefined;
  }
  const ranks = request.ordered.map((c) => manifest.ranked.indexOf(c));
  if (ranks.some((i) => i < 0)) return undefined;
  const viewDir = viewFolder(offlineStorePath, view);
  const inRange = (f: IndexedFile) => {
    const date = f.file.split(path.sep)[0]!.slice('date='.length);
    return date >= request.fromDate && date <= request.toDate;
  };
  const indexed = manifest.files.filter(inRange);
  let current: IndexedFile[];
  try {
    current = await describe(viewDir, request.files);
  } catch {
    return undefined;
  }
  // The index is read whole (its events are in key order, so dates cannot be pruned): for a
  // dataset reaching less than half of it, the partitions in range are less to read.
  const bytes = (files: readonly IndexedFile[]) => files.reduce((n, f) => n + f.size, 0);
  if (bytes(indexed) * 2 < bytes(manifest.files)) return undefined;
  if (current.length !== indexed.length) return undefined;
  const byName = new Map(indexed.map((f) => [f.file, f]));
  for (const f of current) {
    const m = byName.get(f.file);
    if (!m || m.size !== f.size || m.mtimeMs !== f.mtimeMs) return undefined;
  }
  const file = path.join(folder, manifest.data);
  if (!(await stat(file).catch(() => undefined))) return undefined;
  return { file, ranks: ranks.map(indexRank), nonNull: manifest.nonNull ?? [] };
}
