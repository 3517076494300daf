/**
 * `materialize` and `materializeIncremental`: load offline rows into the online store, view by view,
 * each under its lock. Watermarks move only after every row of the run was written, so a run
 * killed at any point leaves the watermark behind the data and a rerun converges to the same state.
 */
import type { ResolvedConfig } from '../config/trove-config.ts';
import type { FeatureView } from '../definitions/feature-view.ts';
import { realDirectories } from '../duckdb/file-access.ts';
import { openDuckDb } from '../duckdb/open-duckdb.ts';
import { NotFoundError, TroveError } from '../errors.ts';
import { finishPendingSwap } from '../offline/finish-pending-swap.ts';
import { AggregationCodec } from '../online/aggregation/aggregation-codec.ts';
import type { OnlineStore } from '../online/online-store.ts';
import type { ViewCodec } from '../online/view-codec.ts';
import type { Registry } from '../registry/registry.ts';
import { materializeAggregationRange } from './aggregation/materialize-aggregation-view.ts';
import type { DistributedOptions, ShardCoordinator } from './distributed/shard-coordinator.ts';
import { materializeViewRange } from './materialize-view.ts';
import { recordNewestEvent } from './newest-event.ts';
import type { MicrosRange } from './offline-rows.ts';
import { logProgress, type MaterializeLog, type ProgressReporter, stderrLog } from './progress.ts';
import { type MaterializeChecksOptions, refuseFailedComputes } from './validation/refuse-failed-computes.ts';
import { type LockWait, ViewLock } from './view-lock.ts';
import { advanceWatermark, readWatermark, type ViewIdentity } from './watermarks.ts';

export interface MaterializeContext {
  config: ResolvedConfig;
  registry: Registry;
  online: OnlineStore;
  log?: MaterializeLog;
  /** Listener of the run's progress (default: log lines through `log`). */
  progress?: ProgressReporter;
  /** Expiry of view locks; renewed while working. */
  lockTtlMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * Spread the work of batch views over the shard queue (distributed/), taken by any number of
   * materializer processes; this process then holds the locks, waits, and moves the watermarks.
   */
  distributed?: DistributedOptions;
}

/** How a run meets a view lock another live process holds. */
export interface LockWaitOptions {
  /**
   * Wait for the lock instead of failing at once: true for as long as it takes, a number for at
   * most that many seconds (over all the run's views). A holder that died on this host is taken
   * over at once either way.
   */
  wait?: boolean | number;
  /** Ends a wait early; the run then fails as if it had not waited. */
  signal?: AbortSignal;
}

/** What one view's run did. */
export interface ViewMaterialization {
  view: string;
  /** ISO start of the event-time range read; null when open (first incremental run). */
  start: string | null;
  end: string;
  rows: number;
  written: number;
  seconds: number;
  /** ISO watermark after the run, if one was set. */
  watermark: string | null;
}

function toMicros(date: Date): bigint {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new TroveError('INVALID_TIMESTAMP', 'invalid timestamp');
  return BigInt(ms) * 1000n;
}

function isoOf(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString();
}

/**
 * The online views a run covers: the named ones (unknown → NotFoundError; of a kind the online
 * store does not serve → TroveError), or all it serves, saying which it skips.
 */
function selectViews(
  registry: Registry,
  names: readonly string[] | undefined,
  log: MaterializeLog,
): FeatureView[] {
  const views: FeatureView[] = [];
  // A view named twice is materialized once.
  for (const name of new Set(names ?? registry.featureViews().map((v) => v.name))) {
    const view = registry.featureView(name);
    if (!view) throw new NotFoundError('UNKNOWN_FEATURE_VIEW', `unknown feature view ${name}`);
    // On-demand views keep no online state: nothing to materialize.
    if (view.kind === 'onDemand') continue;
    if (!view.online) {
      log('skipping view with online: false', { view: name });
      continue;
    }
    views.push(view);
  }
  return views;
}

type RangeOf = (view: FeatureView, watermark: bigint | undefined) => MicrosRange;

/** The wait of ViewLock.acquire for a run's options, or undefined to fail at once. */
function lockWait(options: LockWaitOptions): LockWait | undefined {
  const { wait, signal } = options;
  if (wait === undefined || wait === false) return undefined;
  if (wait !== true && !(wait >= 0))
    throw new TroveError('INVALID_WAIT', `wait: expected true or a number of seconds ≥ 0, got ${wait}`);
  const since = Date.now();
  return { since, until: wait === true ? Number.POSITIVE_INFINITY : since + wait * 1000, signal };
}

async function run(
  ctx: MaterializeContext,
  viewNames: readonly string[] | undefined,
  waitOptions: LockWaitOptions & MaterializeChecksOptions,
  rangeOf: RangeOf,
  watermarkAfter: (range: MicrosRange, watermark: bigint | undefined) => bigint | undefined,
): Promise<ViewMaterialization[]> {
  const log = ctx.log ?? stderrLog;
  const wait = lockWait(waitOptions);
  const views = selectViews(ctx.registry, viewNames, log);
  if (views.length === 0) return [];
  await refuseFailedComputes(
    ctx.config.offlineStorePath,
    views.map((v) => v.name),
    waitOptions,
    log,
  );
  const { online, config } = ctx;

  // Taken in name order, whatever order the views were named in: two runs over the same views in
  // opposite orders would otherwise each hold one lock and both be refused the other.
  const locksByView = new Map<string, ViewLock>();
  try {
    for (const name of views.map((v) => v.name).sort())
      locksByView.set(name, await ViewLock.acquire(online, name, { ttlMs: ctx.lockTtlMs, wait, log }));
  } catch (err) {
    await Promise.all([...locksByView.values()].map((l) => l.release()));
    throw err;
  }
  const locks = views.map((v) => locksByView.get(v.name)!);

  const { instance, connection } = await openDuckDb({
    memoryLimit: config.offlineStore.memoryLimit,
    threads: config.offlineStore.threads,
    // Materialization reads the offline store only.
    access: { directories: await realDirectories([config.offlineStorePath]) },
  });
  const progress = ctx.progress ?? logProgress(log);
  progress.begin?.(views.map((v) => v.name));
  const out: ViewMaterialization[] = [];
  let shards: ShardCoordinator | undefined;
  try {
    if (ctx.distributed) {
      const { ShardCoordinator } = await import('./distributed/shard-coordinator.ts');
      shards = await ShardCoordinator.open(config, online, log, ctx.distributed);
    }
    for (const [i, view] of views.entries()) {
      const lock = locks[i]!;
      const codec: ViewIdentity =
        view.kind === 'aggregation'
          ? online.aggregationCodec(ctx.registry, view.name)
          : online.codec(ctx.registry, view.name);
      const started = Date.now();
      const before = await readWatermark(online, codec);
      const range = rangeOf(view, before);
      if (await finishPendingSwap(config.offlineStorePath, view.name))
        log('finished an interrupted offline swap before reading', { view: view.name });
      const stats =
        codec instanceof AggregationCodec
          ? await materializeAggregationRange({
              store: online,
              connection,
              offlineStorePath: config.offlineStorePath,
              codec,
              range,
              lock,
              progress,
              nowMs: (ctx.now ?? (() => new Date()))().getTime(),
            })
          : shards
            ? await shards.materializeView({ codec: codec as ViewCodec, range, lock, progress })
            : await materializeViewRange({
                store: online,
                connection,
                offlineStorePath: config.offlineStorePath,
                codec: codec as ViewCodec,
                range,
                batchSize: config.materialize.batchSize,
                lock,
                progress,
                countFirst: progress.wantsTotal === true,
              });
      lock.check();
      if (stats.newestEvent !== null) await recordNewestEvent(online, codec, stats.newestEvent);
      const next = watermarkAfter(range, before);
      if (next !== undefined) await advanceWatermark(online, codec, lock, next);
      const after = next === undefined ? before : before === undefined || next > before ? next : before;
      const result: ViewMaterialization = {
        view: view.name,
        start: range.start === undefined ? null : isoOf(range.start),
        end: isoOf(range.end),
        rows: stats.rows,
        written: stats.written,
        seconds: (Date.now() - started) / 1000,
        watermark: after === undefined ? null : isoOf(after),
      };
      progress.finish({
        rows: result.rows,
        written: result.written,
        seconds: result.seconds,
        rowsPerSecond: Math.round(result.rows / Math.max(result.seconds, 0.001)),
        watermark: result.watermark,
      });
      out.push(result);
    }
  } finally {
    await shards?.close();
    connection.closeSync();
    instance.closeSync();
    await Promise.all([...locksByView.values()].map((l) => l.release()));
  }
  return out;
}

/**
 * Loads rows with event time in [start, end]. Moves a view's watermark to min(end, now) when the
 * range starts at or before it (or no watermark exists yet), so incremental runs continue from there.
 */
export async function materialize(
  ctx: MaterializeContext,
  options: { start: Date; end: Date; views?: readonly string[] } & LockWaitOptions & MaterializeChecksOptions,
): Promise<ViewMaterialization[]> {
  const start = toMicros(options.start);
  const end = toMicros(options.end);
  if (start > end) throw new TroveError('INVALID_RANGE', 'start is after end');
  const now = toMicros((ctx.now ?? (() => new Date()))());
  return run(
    ctx,
    options.views,
    options,
    () => ({ start, end }),
    (_range, wm) => (wm === undefined || start <= wm ? (end < now ? end : now) : undefined),
  );
}

/**
 * Loads each view's rows from its watermark (less the late-arrival window) to `end`; the first run
 * of a view loads everything up to `end`. The watermark then moves to min(end, now): rows stamped
 * later than now may still arrive, so they are not skipped.
 */
export async function materializeIncremental(
  ctx: MaterializeContext,
  options: { end: Date; views?: readonly string[] } & LockWaitOptions & MaterializeChecksOptions,
): Promise<ViewMaterialization[]> {
  const end = toMicros(options.end);
  const now = toMicros((ctx.now ?? (() => new Date()))());
  const late = BigInt(Math.round(ctx.config.materialize.lateArrival * 1e6));
  return run(
    ctx,
    options.views,
    options,
    (_view, wm) => ({ start: wm === undefined ? undefined : wm - late, end }),
    () => (end < now ? end : now),
  );
}
