/**
 * The coordinating side of a distributed compute (`trove compute --distributed`). Per view, under
 * the view's compute lock in Redis (compute-lease.ts) and its lock folder (compute-lock.ts, against
 * single-process writers of this host): it finishes an interrupted swap, plans one shard per
 * partition day the compute can change (days of source rows in the range, and live partitions the
 * range touches), and queues them. Workers stage each day into the run's one staging folder.
 * When every shard has finished, this process alone runs the view's checks over the whole staging
 * folder (so a view whose rows fail commits nothing, and `minRows` counts every row, exactly as in a
 * single-process compute) and commits the view by one swap. A shard that still fails after its
 * retries fails the view, which then commits nothing either.
 */
import { mkdir } from 'node:fs/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import type { StoredFeatureView } from '../../definitions/feature-view.ts';
import { registerSourceViews } from '../../duckdb/register-source-views.ts';
import { TroveError } from '../../errors.ts';
import { projectKeyBase } from '../../queue/project-key-base.ts';
import { lockConnection, type QueueRedis } from '../../queue/queue-connection.ts';
import type { RedisLease } from '../../queue/redis-lease.ts';
import { SHARD_ATTEMPTS } from '../../queue/shard-queue.ts';
import { ShardRunner } from '../../queue/shard-runner.ts';
import type { Registry } from '../../registry/registry.ts';
import { lockView } from '../compute-lock.ts';
import {
  type ComputeOptions,
  type ComputeProgress,
  canonicalRowsSql,
  checkAndCommit,
  checkTransformation,
  offlineSourceContext,
  rangeSql,
  selectViews,
  touchedDates,
  type ViewComputeResult,
} from '../compute-views.ts';
import { type OfflineConfig, openOfflineDuckDb } from '../offline-duckdb.ts';
import { EVENT_TIMESTAMP, viewFolder } from '../offline-layout.ts';
import { abandonSwap, newSwapId, partitionDates, recoverView, stagingFolder } from '../partition-swap.ts';
import { ValidationError, type ViewValidation } from '../validation/check-failure.ts';
import { logSkippedChecks } from '../validation/skipped-checks.ts';
import { collectRefusal } from '../validation/validate-compute.ts';
import { acquireComputeLease } from './compute-lease.ts';
import {
  COMPUTE_SHARD,
  type ComputeShardData,
  type ComputeShardResult,
  definitionHash,
} from './compute-shard.ts';

/** What a distributed compute needs of the config: the offline store and the online store's Redis. */
export type DistributedComputeConfig = OfflineConfig & Pick<ResolvedConfig, 'project' | 'onlineStore'>;

export interface DistributedComputeOptions {
  /** Expiry of the views' compute locks in Redis; renewed while held (default 30 s). */
  lockTtlMs?: number;
  /** Told when the run waits for a worker, and as it queues shards. */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/** UTC dates of the source rows of `view` in `[start, end)`: the days new rows can land in. */
async function sourceDays(
  connection: DuckDBConnection,
  registry: Registry,
  view: StoredFeatureView,
  options: ComputeOptions,
): Promise<string[]> {
  try {
    const reader = await connection.runAndReadAll(
      `SELECT DISTINCT strftime(${EVENT_TIMESTAMP}, '%Y-%m-%d') FROM (${canonicalRowsSql(registry, view)})
       WHERE ${EVENT_TIMESTAMP} IS NOT NULL AND ${rangeSql(EVENT_TIMESTAMP, options.start, options.end)}`,
    );
    return reader.getRowsJS().map((r) => String(r[0]));
  } catch (err) {
    throw new TroveError(
      'COMPUTE_FAILED',
      `feature view ${view.name}: computing from source ${view.source} failed: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

interface RunContext {
  config: DistributedComputeConfig;
  registry: Registry;
  connection: DuckDBConnection;
  runner: ShardRunner;
  options: ComputeOptions;
  distributed: DistributedComputeOptions;
}

async function computeViewDistributed(
  ctx: RunContext,
  view: StoredFeatureView,
  lease: RedisLease,
  report: (e: Omit<ComputeProgress, 'index' | 'total'>) => void,
): Promise<ViewComputeResult> {
  const { config, registry, connection, options } = ctx;
  const store = config.offlineStorePath;
  await checkTransformation(connection, view);
  await recoverView(store, view.name);
  const touched = touchedDates(
    await partitionDates(viewFolder(store, view.name)),
    options.start,
    options.end,
  );
  const days = [...new Set([...(await sourceDays(connection, registry, view, options)), ...touched])].sort();
  const id = newSwapId();
  const staging = stagingFolder(store, view.name, id);
  await mkdir(staging, { recursive: true });
  try {
    const base = {
      kind: COMPUTE_SHARD,
      runId: id,
      swapId: id,
      view: view.name,
      definition: definitionHash(registry, view),
      start: options.start ? options.start.micros.toString() : null,
      end: options.end ? options.end.micros.toString() : null,
      statistics: options.statistics !== false,
    } as const;
    const shards: ComputeShardData[] = days.map((day, index) => ({
      ...base,
      day,
      touched: touched.has(day),
      index,
      count: days.length,
    }));
    if (shards.length > 0 && (await ctx.runner.workers()) === 0)
      ctx.distributed.log?.('no worker takes shards yet; the compute waits for one', {
        view: view.name,
        shards: shards.length,
      });
    ctx.distributed.log?.('queued shards', { view: view.name, shards: shards.length });
    let finished = 0;
    let totalRows = 0;
    const { results, failures } = await ctx.runner.run<ComputeShardData, ComputeShardResult>({
      shards,
      advance: () => {},
      finished: (shard, result, seconds) => {
        finished++;
        totalRows += result.rows;
        report({
          view: view.name,
          step: 'shard',
          rows: result.rows,
          shard: {
            day: shard.day,
            index: shard.index,
            count: shard.count,
            rows: result.rows,
            seconds,
            finished,
            totalRows,
          },
        });
      },
      check: () => lease.check(),
    });
    if (failures.length > 0)
      throw new TroveError(
        'SHARD_FAILED',
        `feature view ${view.name}: ${failures.length} of ${shards.length} shards failed after ${SHARD_ATTEMPTS} tries (first: ${failures[0]!.message}); nothing was committed`,
      );
    const rows = results.reduce((n, r) => n + r.rows, 0);
    const staged = new Set(await partitionDates(staging));
    const dates = [...new Set([...touched, ...staged])].sort();
    report({ view: view.name, step: 'staged', rows, partitions: dates.length });
    options.failpoint?.('staged');
    // The checks see every staged day at once, as a single-process compute's do. Only while the
    // lock is surely held: a coordinator whose lease lapsed commits nothing.
    return await checkAndCommit(
      connection,
      store,
      registry,
      view,
      { id, staging, staged, dates, rows },
      options,
      () => lease.confirm(),
    );
  } catch (err) {
    await abandonSwap(store, view.name, id);
    throw err;
  }
}

/**
 * Computes views as `computeViews` does (same partitions, statistics, checks and errors), with each
 * view's partition days staged by the shard queue's workers. Views go one after another, each
 * committed on its own.
 */
export async function computeViewsDistributed(
  config: DistributedComputeConfig,
  registry: Registry,
  options: ComputeOptions = {},
  distributed: DistributedComputeOptions = {},
): Promise<ViewComputeResult[]> {
  if (options.start && options.end && options.start.micros >= options.end.micros) {
    throw new TroveError('INVALID_RANGE', 'compute: start must be before end');
  }
  const views = selectViews(registry, options.views);
  if (options.skipChecks)
    logSkippedChecks(
      options.log,
      'compute',
      views.map((v) => v.name),
    );
  const keyBase = projectKeyBase(config.onlineStore.keyPrefix, config.project);
  const results: ViewComputeResult[] = [];
  const refused: ViewValidation[] = [];
  const db = await openOfflineDuckDb(config);
  let runner: ShardRunner | undefined;
  let client: QueueRedis | undefined;
  try {
    const failures = await registerSourceViews(
      db.connection,
      registry.definitions.sources,
      await offlineSourceContext(config, registry),
    );
    const failed = new Map(failures.map((f) => [f.source.name, f.message]));
    runner = await ShardRunner.open(config.onlineStore, keyBase);
    client = lockConnection(config.onlineStore);
    const ctx: RunContext = { config, registry, connection: db.connection, runner, options, distributed };
    for (const [index, view] of views.entries()) {
      const reason = failed.get(view.source);
      if (reason !== undefined) {
        throw new TroveError(
          'COMPUTE_FAILED',
          `feature view ${view.name}: source ${view.source} cannot be read: ${reason.split('\n')[0]}`,
        );
      }
      const total = views.length;
      options.onProgress?.({ view: view.name, step: 'start', index, total });
      const lease = await acquireComputeLease(client, keyBase, view.name, {
        ...(distributed.lockTtlMs ? { ttlMs: distributed.lockTtlMs } : {}),
      });
      try {
        const unlock = await lockView(config.offlineStorePath, view.name);
        try {
          const result = await computeViewDistributed(ctx, view, lease, (e) =>
            options.onProgress?.({ ...e, index, total }),
          ).catch((err: unknown) => collectRefusal(err, refused));
          if (result === undefined) continue;
          results.push(result);
          options.onProgress?.({
            view: view.name,
            step: 'done',
            index,
            total,
            rows: result.rows,
            partitions: result.partitions.length,
          });
        } finally {
          await unlock();
        }
      } finally {
        await lease.release();
      }
    }
  } finally {
    await runner?.close();
    client?.disconnect();
    db.close();
  }
  if (refused.length > 0)
    throw new ValidationError(
      refused,
      results.map((r) => r.view),
    );
  return results;
}
