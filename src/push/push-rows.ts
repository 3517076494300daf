/**
 * Pushing rows to a push source: every row is checked against the types of every view over the
 * source before anything is written; then the rows go to the online store through the same
 * newest-wins script as materialization, and/or to a new Parquet file in the source's push folder
 * (written beside it and moved into place, so a reader never sees half a file).
 *
 * Every push has an id, its idempotency key or a random UUID, which every row of its file carries
 * (PUSH_ID). A keyed push's file is named after the key, so a retry finds it: the same rows again
 * write nothing offline, other rows are refused (409) before anything is written.
 */
import { createHash, randomUUID } from 'node:crypto';
import { link, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { blobValue, type DuckDBValue, listValue, timestampTZValue } from '@duckdb/node-api';
import type { AggregationView } from '../definitions/aggregation/aggregation-view.ts';
import type { BatchFeatureView } from '../definitions/feature-view.ts';
import { InvalidValueError, normalizeValue } from '../definitions/input-values.ts';
import type { PushSource } from '../definitions/source.ts';
import { pushFolder } from '../definitions/source-sql.ts';
import { duckdbTypeOf, listElementType, type ValueType } from '../definitions/value-type.ts';
import { sourceColumnsOf } from '../definitions/view-kinds.ts';
import { realDirectories } from '../duckdb/file-access.ts';
import { openDuckDb } from '../duckdb/open-duckdb.ts';
import { quoteIdentifier, quoteString } from '../duckdb/sql-literals.ts';
import { ConflictError, NotFoundError, TroveError } from '../errors.ts';
import { recordNewestEvent } from '../materialize/newest-event.ts';
import { appendPushedRows, pushedRowCounts } from '../offline/append-pushed-rows.ts';
import type { OfflineConfig } from '../offline/offline-duckdb.ts';
import { PUSH_ID } from '../offline/offline-layout.ts';
import { checkStoreFolder } from '../offline/store-folder.ts';
import { type ChecksLog, logSkippedChecks } from '../offline/validation/skipped-checks.ts';
import type { OnlineStore } from '../online/online-store.ts';
import { redisFailure } from '../online/redis-client.ts';
import type { OnlineWrite } from '../online/write-newest.ts';
import type { Registry } from '../registry/registry.ts';
import { showName, showValue } from '../show-value.ts';
import { claimPushKey } from './aggregation/claim-push-key.ts';
import { pushAggregationEvents } from './aggregation/push-aggregation-events.ts';
import { checkPushedRows } from './checks/check-pushed-rows.ts';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_RULE } from './idempotency-key.ts';

export type PushTarget = 'online' | 'offline' | 'online_and_offline';

export interface PushRequest {
  pushSourceName: string;
  /** Column name (as the source names it) → values, one per row. */
  df: Record<string, readonly unknown[]>;
  to: PushTarget;
  /**
   * The push's id, kept with its rows offline: a retry with the same key and rows adds nothing
   * offline, one with other rows is refused. 1 to 128 characters of IDEMPOTENCY_KEY; a random
   * UUID when absent.
   */
  idempotencyKey?: string;
  /**
   * Writes rows that fail the views' row checks (emergencies only; logged as a warning). Not
   * offered over HTTP.
   */
  skipChecks?: boolean;
  /** Where the warning of `skipChecks` goes; stderr as a JSON line by default. */
  log?: ChecksLog;
}

export interface PushResult {
  /** The push's id: its idempotency key, or the random UUID given to it. */
  pushId: string;
  rows: number;
  /** Online rows that replaced the stored value, per view. */
  online: Record<string, number>;
  /** Parquet file written, if any (for a retried push, the one its first attempt wrote). */
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

/** Push-file metadata key holding the rows' content hash. */
const ROWS_HASH = 'trove_rows_sha256';

/**
 * A content hash of the checked columns: names, types and canonical values, in name order, so the
 * same rows pushed again hash alike whatever order their columns came in.
 */
function rowsHash(columns: readonly CheckedColumn[]): string {
  const hash = createHash('sha256');
  const canonical = (_key: string, value: unknown): unknown => {
    if (typeof value === 'bigint') return `${value}n`;
    if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('base64') };
    // JSON would write these as null.
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
    return value;
  };
  for (const column of [...columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    hash.update(`${JSON.stringify([column.name, column.type])}\n`);
    for (const value of column.values) hash.update(`${JSON.stringify(value ?? null, canonical)}\n`);
  }
  return hash.digest('hex');
}

/**
 * The file of a keyed push: named by a hash of the key, so a retry finds it, distinct keys never
 * share it (also on case-insensitive file systems), and no key character reaches the file name.
 */
export function keyedPushFileName(key: string): string {
  return `push-key-${createHash('sha256').update(key).digest('hex').slice(0, 32)}.parquet`;
}

function keyReused(key: string): ConflictError {
  return new ConflictError(
    'IDEMPOTENCY_KEY_REUSED',
    `idempotency key ${showValue(key)} was used by an earlier push with other rows; nothing was written`,
  );
}

async function openPushDuckDb(offlineStorePath: string) {
  return openDuckDb({ threads: 1, access: { directories: await realDirectories([offlineStorePath]) } });
}

/** The rows hash stored in `file`, null if there is no such file, '' if it has none. */
async function storedRowsHash(offlineStorePath: string, file: string): Promise<string | null> {
  const found = await stat(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
  if (!found) return null;
  const { instance, connection } = await openPushDuckDb(offlineStorePath);
  try {
    const reader = await connection.runAndReadAll(
      `SELECT decode(value) FROM parquet_kv_metadata(${quoteString(file)}) WHERE decode(key) = ${quoteString(ROWS_HASH)}`,
    );
    return String(reader.getColumns()[0]?.[0] ?? '');
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Whether a keyed push's file already holds these rows (true), or does not exist (false); a 409
 * when it holds other rows.
 */
async function alreadyPushed(
  offlineStorePath: string,
  file: string,
  key: string,
  hash: string,
): Promise<boolean> {
  const stored = await storedRowsHash(offlineStorePath, file);
  if (stored === null) return false;
  if (stored !== hash) throw keyReused(key);
  return true;
}

/** Errors of `link` on file systems without hard links, where the move falls back to rename. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/**
 * Writes the rows, each with the push id, to `final` by way of a temp file beside it. A keyed
 * file is moved in with `link`, which fails rather than replace a file a concurrent push with the
 * same key moved in first: then the caller compares rows with that one. Returns false in that case.
 */
async function writeParquet(
  columns: readonly CheckedColumn[],
  rows: number,
  pushId: string,
  hash: string,
  offlineStorePath: string,
  final: string,
  keyed: boolean,
): Promise<boolean> {
  const folder = path.dirname(final);
  await checkStoreFolder(offlineStorePath, folder);
  await mkdir(folder, { recursive: true });
  // Not matching *.parquet until moved, so readers of the folder skip it.
  const temp = path.join(folder, `.${path.basename(final, '.parquet')}-${randomUUID()}.tmp`);
  const { instance, connection } = await openPushDuckDb(offlineStorePath);
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
    await connection.run(
      `COPY (SELECT *, ${quoteString(pushId)}::VARCHAR AS ${PUSH_ID} FROM pushed) TO ${quoteString(temp)}
       (FORMAT parquet, KV_METADATA {${ROWS_HASH}: ${quoteString(hash)}})`,
    );
    if (!keyed) {
      await rename(temp, final);
      return true;
    }
    try {
      await link(temp, final);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (code === 'EEXIST') return false;
      if (!NO_HARD_LINKS.has(code)) throw err;
      await rename(temp, final);
    }
    return true;
  } finally {
    await rm(temp, { force: true });
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
  if (!['online', 'offline', 'online_and_offline'].includes(request.to))
    throw new TroveError(
      'INVALID_REQUEST',
      `to must be online, offline or online_and_offline, not ${showValue(request.to)}`,
    );
  const key = request.idempotencyKey;
  if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)))
    throw new TroveError(
      'INVALID_REQUEST',
      `idempotencyKey must be ${IDEMPOTENCY_KEY_RULE}, not ${showValue(key)}`,
    );
  const pushId = key ?? randomUUID();
  const toOnline = request.to !== 'offline';
  const toOffline = request.to !== 'online';
  const views = registry.storedViews().filter((v) => v.source === source.name);

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
  const plans: { view: BatchFeatureView; keys: CheckedColumn[]; features: CheckedColumn[] }[] = [];
  const aggregationPlans: { view: AggregationView; keys: CheckedColumn[]; columns: CheckedColumn[] }[] = [];
  for (const view of views) {
    const keys = registry.joinKeysOf(view).map((k) => check(k.name, k.type, true, `view ${view.name}`));
    const features = sourceColumnsOf(view).map((f) => check(f.name, f.type, false, `view ${view.name}`));
    if (view.kind === 'aggregation') {
      aggregationPlans.push({ view, keys, columns: features });
      continue;
    }
    if (toOnline && view.online && view.transformation)
      throw new TroveError(
        'PUSH_TO_TRANSFORMED_VIEW',
        `view ${view.name} transforms its source with SQL, so pushed rows cannot be served online as they are; push to offline and materialize`,
      );
    plans.push({ view, keys, features });
  }
  // Row checks refuse the batch whole, before anything is written anywhere.
  if (request.skipChecks)
    logSkippedChecks(
      request.log,
      'push',
      plans.map((p) => p.view.name),
    );
  else
    checkPushedRows(
      plans.map((p) => ({ view: p.view, columns: p.features })),
      rows,
    );

  const result: PushResult = { pushId, rows, online: {}, offlineFile: null, offline: {} };
  if (toOffline && rows > 0) {
    const store = offlineConfig.offlineStorePath;
    const columns = [...checked.values()];
    const hash = rowsHash(columns);
    const folder = pushFolder(store, source.name);
    const file = path.join(
      folder,
      key === undefined
        ? `push-${new Date().toISOString().replace(/[:.]/g, '')}-${pushId}.parquet`
        : keyedPushFileName(key),
    );
    // A retry's rows are in the store already, from its first attempt's file (appended then, or by
    // the next compute if appending failed): nothing to add.
    let written = false;
    if (key === undefined || !(await alreadyPushed(store, file, key, hash))) {
      written = await writeParquet(columns, rows, pushId, hash, store, file, key !== undefined);
      // Lost the race to a concurrent attempt with the same key: same rows or a 409.
      if (!written) await alreadyPushed(store, file, key!, hash);
    }
    result.offlineFile = file;
    result.offline = written
      ? await appendPushedRows(offlineConfig, registry, source.name, file)
      : await pushedRowCounts(offlineConfig, registry, source.name, file);
  }
  if (toOnline && rows > 0) {
    const store = online();
    const live = aggregationPlans.filter((p) => p.view.online);
    // Offline, the push file already told a reused key; an online-only push has none.
    if (key !== undefined && !toOffline && live.length > 0) {
      const lifetime = Math.max(
        ...live.map((p) => store.aggregationCodec(registry, p.view.name).layout.longestLifetime),
      );
      if (!(await claimPushKey(store, key, rowsHash([...checked.values()]), lifetime))) throw keyReused(key);
    }
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
    for (const { view, keys, columns } of aggregationPlans) {
      if (!view.online) continue;
      const codec = store.aggregationCodec(registry, view.name);
      const events = {
        rows,
        keys: keys.map((k) => k.values),
        event: event.values as bigint[],
        created: created?.values as (bigint | null)[] | undefined,
        columns: columns.map((c) => c.values),
      };
      try {
        result.online[view.name] = await pushAggregationEvents(store, codec, pushId, events, Date.now());
      } catch (err) {
        throw redisFailure(err, store.target, 'online write');
      }
      await recordNewestEvent(store, codec, newestEvent);
    }
  }
  return result;
}
