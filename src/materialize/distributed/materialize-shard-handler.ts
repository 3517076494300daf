/**
 * Works materialization shards a worker takes off the queue: the partition day and entity slice a
 * shard names, through the same streaming path as a single-process run. A shard holds no view lock
 * (its run's coordinator does) and moves no watermark; it reports its rows as it goes and returns
 * what it wrote. Writing a shard again (a killed worker's, taken by another) is harmless, since the
 * newest-wins rule keeps every value as it should be.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import { realDirectories } from '../../duckdb/file-access.ts';
import { openDuckDb } from '../../duckdb/open-duckdb.ts';
import type { OnlineStore } from '../../online/online-store.ts';
import { type ShardData, ShardRefused } from '../../queue/shard-queue.ts';
import type { ShardContext, ShardHandler } from '../../queue/shard-worker.ts';
import type { Registry } from '../../registry/registry.ts';
import { materializeViewRange } from '../materialize-view.ts';
import type { ProgressReporter } from '../progress.ts';
import { MATERIALIZE_SHARD, type MaterializeShardData, type MaterializeShardResult } from './shard.ts';

export interface MaterializeShardsOptions {
  config: ResolvedConfig;
  online: OnlineStore;
  /** The registry version to materialize with (the current one, read again per shard). */
  registry: () => Promise<Registry>;
}

/** The handler of `materialize` shards; one DuckDB instance, opened on the first shard. */
export class MaterializeShards implements ShardHandler {
  readonly kind = MATERIALIZE_SHARD;
  private duck: { instance: DuckDBInstance; connection: DuckDBConnection } | undefined;
  private opening: Promise<DuckDBConnection> | undefined;

  constructor(private readonly options: MaterializeShardsOptions) {}

  private connection(): Promise<DuckDBConnection> {
    const { offlineStore, offlineStorePath } = this.options.config;
    this.opening ??= (async () => {
      this.duck = await openDuckDb({
        memoryLimit: offlineStore.memoryLimit,
        threads: offlineStore.threads,
        access: { directories: await realDirectories([offlineStorePath]) },
      });
      return this.duck.connection;
    })();
    return this.opening;
  }

  async run(data: ShardData, context: ShardContext): Promise<MaterializeShardResult> {
    const shard = data as MaterializeShardData;
    const { online, config } = this.options;
    const registry = await this.options.registry();
    const view = registry.featureView(shard.view);
    if (view?.kind !== 'batch')
      throw new ShardRefused(`feature view ${shard.view} is no longer a batch view in the registry`);
    const codec = online.codec(registry, shard.view);
    if (codec.fingerprint !== shard.fingerprint)
      throw new ShardRefused(
        `feature view ${shard.view} changed schema since its run was planned (fingerprint ${codec.fingerprint}, expected ${shard.fingerprint})`,
      );
    const progress: ProgressReporter = {
      start() {},
      advance: (n) => context.advance(n),
      finish() {},
    };
    const stats = await materializeViewRange({
      store: online,
      connection: await this.connection(),
      offlineStorePath: config.offlineStorePath,
      codec,
      range: { start: shard.start === null ? undefined : BigInt(shard.start), end: BigInt(shard.end) },
      batchSize: config.materialize.batchSize,
      // The coordinator holds the view's lock; a shard written twice is harmless.
      lock: { check() {} },
      progress,
      countFirst: false,
      day: shard.day,
      slice: shard.slice,
    });
    return {
      rows: stats.rows,
      written: stats.written,
      newestEvent: stats.newestEvent === null ? null : stats.newestEvent.toString(),
    };
  }

  async close(): Promise<void> {
    await this.opening?.catch(() => undefined);
    this.duck?.connection.closeSync();
    this.duck?.instance.closeSync();
  }
}
