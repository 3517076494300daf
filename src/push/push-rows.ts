/**
 * Pushing rows to a push source: every row is checked against the types of every view over the
 * source before anything is written; then the rows go to the online store through the same
 * newest-wins script as materialization, and/or to a new Parquet file in the source's push folder
 * (written beside it and renamed into place, so a reader never sees half a file).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { blobValue, type DuckDBValue, listValue, timestampTZValue } from '@duckdb/node-api';
import type { FeatureView } from '../definitions/feature-view.ts';
import type { PushSource } from '../definitions/source.ts';
import { pushFolder } from '../definitions/source-sql.ts';
import { duckdbTypeOf, listElementType, type ValueType } from '../definitions/value-type.ts';
import { requireServedOnline } from '../definitions/view-kinds.ts';
import { realDirectories } from '../duckdb/file-access.ts';
import { openDuckDb } from '../duckdb/open-duckdb.ts';
import { quoteIdentifier, quoteString } from '../duckdb/sql-literals.ts';
import { NotFoundError, TroveError } from '../errors.ts';
import { recordNewestEvent } from '../materialize/newest-event.ts';
import { appendPushedRows } from '../offline/append-pushed-rows.ts';
import type { OfflineConfig } from '../offline/offline-duckdb.ts';
import { checkStoreFolder } from '../offline/store-folder.ts';
import { InvalidValueError, normalizeValue } from '../online/input-values.ts';
import type { OnlineStore } from '../online/online-store.ts';
import type { OnlineWrite } from '../online/write-newest.ts';
import type { Registry } from '../registry/registry.ts';
import { showName, showValue } from '../show-value.ts';

export type PushTarget = 'online' | 'offline' | 'online_and_offline';

export interface PushRequest {
  pushSourceName: string;
  /** Column name (as the source names it) → values, one per row. */
  df: Record<string, readonly unknown[]>;
  to: PushTarget;
}

export interface PushResult {
  rows: number;
  /** Online rows that replaced the stored value, per view. */
  online: Record<string, number>;
  /** Parquet file written, if any. */
  offlineFile: string | null;
  /** Rows added to each offline view's partitions, visible to training datasets at once. */
  offline: Record<string, number>;
}

/** A column of the pushed table: its name in the source, its type, its canonical values. */
interface CheckedColumn {
  name: string;
  type: ValueType;
  values: unknown[];
}

function duckValue(type: ValueType, value: unknown): DuckDBValue {
  if (value === null || value === undefined) return null;
  const element = listElementType(type);
  if (element) return listValue((value as unknown[]).map((v) => duckValue(element, v)));
  switch (type) {
    case 'timestamp':
      return timestampTZValue(value as bigint);
    case 'bytes':
      return blobValue(value as Uint8Array);
    default:
      return value as DuckDBValue;
  }
}

async function writeParquet(
  columns: readonly CheckedColumn[],
  rows: number,
  offlineStorePath: string,
  folder: string,
): Promise<string> {
  await checkStoreFolder(offlineStorePath, folder);
  await mkdir(folder, { recursive: true });
  const id = `${new Date().toISOString().replace(/[:.]/g, '')}-${randomUUID()}`;
  const final = path.join(folder, `push-${id}.parquet`);
  // Not matching *.parquet until renamed, so readers of the folder skip it.
  const temp = path.join(folder, `.push-${id}.tmp`);
  const { instance, connection } = await openDuckDb({
    threads: 1,
    access: { directories: await realDirectories([offlineStorePath]) },
  });
  try {
    const defs = columns.map((c) => `${quoteIdentifier(c.name)} ${duckdbTypeOf(c.type)}`).join(', ');
    await connection.run(`CREATE TABLE pushed (${defs})`);
    const appender = await connection.createAppender('pushed');
    for (let r = 0; r < rows; r++) {
      for (const [i, c] of columns.entries()) {
        appender.appendValue(duckValue(c.type, c.values[r]), appender.columnType(i));
      }
      appender.endRow();
    }
    appender.closeSync();
    await connection.run(`COPY pushed TO ${quoteString(temp)} (FORMAT parquet)`);
    await rename(temp, final);
    return final;
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export async function pushRows(
  registry: Registry,
  online: () => OnlineStore,
  offlineConfig: OfflineConfig,
  request: PushRequest,
): Promise<PushResult> {
  const source = registry.source(request.pushSourceName);
  if (source?.kind !== 'push')
    throw new NotFoundError('UNKNOWN_PUSH_SOURCE', `unknown push source ${showName(request.pushSourceName)}`);
  const pushSource: PushSource = source;
  // Refused before anything is written, whatever the target: no half-applied push.
  const views = registry
    .featureViews()
    .filter((v) => v.source === source.name)
    .map((v) => requireServedOnline(v, 'push', source.name));
  const toOnline = request.to !== 'offline';
  const toOffline = request.to !== 'online';
  if (!['online', 'offline', 'online_and_offline'].includes(request.to))
    throw new TroveError(
      'INVALID_REQUEST',
      `to must be online, offline or online_and_offline, not ${showValue(request.to)}`,
    );

  const names = Object.keys(request.df);
  if (names.length === 0) throw new TroveError('INVALID_REQUEST', 'df has no columns');
  const rows = request.df[names[0]!]!.length;
  for (const n of names) {
    if (!Array.isArray(request.df[n]) || request.df[n]!.length !== rows)
      throw new TroveError(
        'INVALID_REQUEST',
        `df column ${showName(n)} must be a list of ${rows} values like the others`,
      );
  }

  // Views see source columns through the field mapping; map back to find each view column's input.
  const mapping = pushSource.fieldMapping ?? {};
  const sourceName = (viewColumn: string): string =>
    Object.entries(mapping).find(([, to]) => to === viewColumn)?.[0] ?? viewColumn;
  const checked = new Map<string, CheckedColumn>();
  const check = (viewColumn: string, type: ValueType, required: boolean, owner: string): CheckedColumn => {
    const name = sourceName(viewColumn);
    const existing = checked.get(name);
    if (existing) {
      if (existing.type !== type)
        throw new TroveError(
          'INVALID_REQUEST',
          `column ${name} is ${existing.type} in one view and ${type} in ${owner}`,
        );
      return existing;
    }
    const raw = request.df[name];
    if (!raw) throw new InvalidValueError(`df lacks column ${name}, needed by ${owner}`);
    const values = raw.map((v, r) => {
      const out = normalizeValue(type, v, `column ${name}, row ${r}`);
      if (required && out === null) throw new InvalidValueError(`column ${name}, row ${r}: must not be null`);
      return out;
    });
    const column = { name, type, values };
    checked.set(name, column);
    return column;
  };

  const event = check(pushSource.timestampField, 'timestamp', true, `push source ${source.name}`);
  const created = pushSource.createdTimestampField
    ? check(pushSource.createdTimestampField, 'timestamp', false, `push source ${source.name}`)
    : undefined;
  const plans: { view: FeatureView; keys: CheckedColumn[]; features: CheckedColumn[] }[] = [];
  for (const view of views) {
    const keys = registry.joinKeysOf(view).map((k) => check(k.name, k.type, true, `view ${view.name}`));
    const features = view.features.map((f) => check(f.name, f.type, false, `view ${view.name}`));
    if (toOnline && view.online && view.transformation)
      throw new TroveError(
        'PUSH_TO_TRANSFORMED_VIEW',
        `view ${view.name} transforms its source with SQL, so pushed rows cannot be served online as they are; push to offline and materialize`,
      );
    plans.push({ view, keys, features });
  }

  const result: PushResult = { rows, online: {}, offlineFile: null, offline: {} };
  if (toOffline && rows > 0) {
    result.offlineFile = await writeParquet(
      [...checked.values()],
      rows,
      offlineConfig.offlineStorePath,
      pushFolder(offlineConfig.offlineStorePath, source.name),
    );
    result.offline = await appendPushedRows(offlineConfig, registry, source.name, result.offlineFile);
  }
  if (toOnline && rows > 0) {
    const store = online();
    const newestEvent = (event.values as bigint[]).reduce((a, b) => (b > a ? b : a));
    for (const { view, keys, features } of plans) {
      if (!view.online) continue;
      const codec = store.codec(registry, view.name);
      const keyValues: unknown[] = new Array(keys.length);
      const writes: OnlineWrite[] = [];
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < keys.length; k++) keyValues[k] = keys[k]!.values[r];
        writes.push({
          key: store.keys.entity(codec.entityKeys.text(keyValues)),
          field: codec.field,
          tieTypes: codec.tieTypes,
          value: codec.encode(
            event.values[r] as bigint,
            (created?.values[r] ?? null) as bigint | null,
            (i) => features[i]!.values[r],
          ),
        });
      }
      result.online[view.name] = await store.write(writes);
      await recordNewestEvent(store, codec, newestEvent);
    }
  }
  return result;
}
