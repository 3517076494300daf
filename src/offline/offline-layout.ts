import path from 'node:path';
import { RESERVED_COLUMNS } from '../definitions/check-references.ts';

/**
 * The offline store keeps one folder per feature view, partitioned by event date (UTC):
 *
 *   <offlineStorePath>/views/<view>/date=YYYY-MM-DD/part-<n>.parquet
 *
 * Every file has the same canonical columns: the view's join keys (in entity order), then
 * `event_timestamp` (TIMESTAMPTZ, UTC, microseconds), `created_timestamp` (TIMESTAMPTZ, nullable),
 * then the features in definition order, each with the DuckDB type of its declared value type. An
 * aggregation view's files hold its source's events instead: after the timestamps come the columns
 * it aggregates, in order of first use, each with the DuckDB type of the value type apply found,
 * then `__trove_push_id` (PUSH_ID).
 */
export const [EVENT_TIMESTAMP, CREATED_TIMESTAMP] = RESERVED_COLUMNS;

/**
 * VARCHAR column of the push that brought a row: in every push file, and in an aggregation view's
 * files, where it is NULL for rows of batch sources and in files written before it existed (read
 * with `union_by_name`). It lets online state kept per push be rebuilt from offline rows without
 * counting a push twice. Batch views do not store it, and the training join never reads it.
 */
export const PUSH_ID = '__trove_push_id';

export function viewFolder(offlineStorePath: string, viewName: string): string {
  return path.join(offlineStorePath, 'views', viewName);
}

export function partitionFolder(offlineStorePath: string, viewName: string, date: string): string {
  return path.join(viewFolder(offlineStorePath, viewName), `date=${date}`);
}

/** Glob of every Parquet file of a view. */
export function viewGlob(offlineStorePath: string, viewName: string): string {
  return path.join(viewFolder(offlineStorePath, viewName), 'date=*', '*.parquet');
}

/**
 * An empty file a partition folder holds when no two of its rows share join keys and event time,
 * which lets the point-in-time join match on event time alone (no created-time tie-break). Compute
 * writes it beside the partition's files; anything that adds rows to a partition removes it first.
 */
export const UNIQUE_KEY_TIMES_MARKER = '_unique-key-times';

/**
 * An empty file a partition folder holds when no two of its rows share join keys (so none share
 * keys and event time either): materializing that partition alone needs no newest-row-per-entity
 * pass. Written and removed with UNIQUE_KEY_TIMES_MARKER.
 */
export const UNIQUE_KEYS_MARKER = '_unique-keys';
