/**
 * Works compute shards a worker takes off the queue: stages one view's one partition day through
 * the same path as a single-process compute (stageView), writes the day's statistics beside its
 * files, and moves the day into the run's staging folder by one rename. The day is staged in a
 * folder of the try's own first, so a worker killed mid-shard leaves only a folder nobody reads
 * (removed with the staging folder), and a shard tried again replaces the day whole.
 */
import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import { registerSourceViews } from '../../duckdb/register-source-views.ts';
import { type ShardData, ShardRefused } from '../../queue/shard-queue.ts';
import type { ShardContext, ShardHandler } from '../../queue/shard-worker.ts';
import type { Registry } from '../../registry/registry.ts';
import { offlineSourceContext, stageView } from '../compute-views.ts';
import { openOfflineDuckDb } from '../offline-duckdb.ts';
import { exists, stagingFolder } from '../partition-swap.ts';
import { recordStagedStatistics } from '../statistics/view-statistics.ts';
import {
  COMPUTE_SHARD,
  type ComputeShardData,
  type ComputeShardResult,
  definitionHash,
} from './compute-shard.ts';

export interface ComputeShardsOptions {
  config: Pick<ResolvedConfig, 'repoDir' | 'offlineStorePath' | 'offlineStore'> &
    Partial<Pick<ResolvedConfig, 'dataDirs' | 'onDemand'>>;
  /** The registry to compute with (the current one, read again per shard). */
  registry: () => Promise<Registry>;
}

/** The handler of `compute` shards; a DuckDB instance per shard, closed at its end. */
export class ComputeShards implements ShardHandler {
  readonly kind = COMPUTE_SHARD;

  constructor(private readonly options: ComputeShardsOptions) {}

  async run(data: ShardData, context: ShardContext): Promise<ComputeShardResult> {
    const shard = data as ComputeShardData;
    const { config } = this.options;
    const store = config.offlineStorePath;
    const registry = await this.options.registry();
    const view = registry.featureView(shard.view);
    if (!view || view.kind === 'onDemand')
      throw new ShardRefused(`feature view ${shard.view} is no longer a stored view in the registry`);
    if (definitionHash(registry, view) !== shard.definition)
      throw new ShardRefused(`feature view ${shard.view} changed since its compute was planned`);
    const staging = stagingFolder(store, view.name, shard.swapId);
    // Gone: the run committed or gave up; staging again would leave a folder nobody commits.
    if (!(await exists(staging)))
      throw new ShardRefused(`the compute of feature view ${shard.view} this shard belongs to is over`);
    const own = path.join(staging, `_shard-${shard.day}-${randomUUID()}`);
    const db = await openOfflineDuckDb(config);
    try {
      const failures = await registerSourceViews(
        db.connection,
        registry.definitions.sources,
        await offlineSourceContext(config, registry),
      );
      const failed = failures.find((f) => f.source.name === view.source);
      if (failed)
        throw new Error(
          `feature view ${view.name}: source ${view.source} cannot be read: ${failed.message.split('\n')[0]}`,
        );
      const { rows, staged } = await stageView(db.connection, config, registry, view, {
        staging: own,
        touched: new Set(shard.touched ? [shard.day] : []),
        day: shard.day,
        ...(shard.start === null ? {} : { start: { micros: BigInt(shard.start) } }),
        ...(shard.end === null ? {} : { end: { micros: BigInt(shard.end) } }),
      });
      await recordStagedStatistics(db.connection, view, own, staged, { statistics: shard.statistics });
      const target = path.join(staging, `date=${shard.day}`);
      // An earlier try's day (a worker that stalled but lived on) is replaced: both are the same rows.
      await rm(target, { recursive: true, force: true });
      if (staged.has(shard.day)) {
        await rename(path.join(own, `date=${shard.day}`), target);
      }
      context.advance(rows);
      return { rows, staged: staged.has(shard.day) };
    } finally {
      db.close();
      await rm(own, { recursive: true, force: true });
    }
  }
}
