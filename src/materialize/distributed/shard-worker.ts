/**
 * Takes shards off the project's queue and materializes them: the partition day and entity slice
 * a shard names, through the same streaming path as a single-process run. A shard holds no view
 * lock (its run's coordinator does) and moves no watermark; it reports its rows as it goes and
 * returns what it wrote. A worker killed mid-shard leaves the shard to BullMQ's stalled-job check,
 * which puts it back on the queue once the worker's hold on it lapses; writing it again is
 * harmless, since the newest-wins rule keeps every value as it should be.
 */
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import { realDirectories } from '../../duckdb/file-access.ts';
import { openDuckDb } from '../../duckdb/open-duckdb.ts';
import type { OnlineStore } from '../../online/online-store.ts';
import type { Registry } from '../../registry/registry.ts';
import { materializeViewRange } from '../materialize-view.ts';
import type { MaterializeLog, ProgressReporter } from '../progress.ts';
import type { ShardData, ShardResult } from './shard.ts';
import { queueConnection, SHARD_QUEUE, shardQueuePrefix } from './shard-queue.ts';

/** Least time between two progress reports of a shard. */
const PROGRESS_EVERY_MS = 500;

export interface ShardWorkerOptions {
  config: ResolvedConfig;
  online: OnlineStore;
  /** The registry version to materialize with (the current one, read again per shard). */
  registry: () => Promise<Registry>;
  log: MaterializeLog;
  /** Shards worked at once in this process (default 1: DuckDB already uses every core it is given). */
  concurrency?: number;
  /**
   * How long the worker's hold on a shard lasts without renewal: a killed worker's shard goes back
   * on the queue this long after its death, at most (default 30 s; env TROVE_SHARD_LOCK_MS).
   */
  holdMs?: number;
  /** Told when a shard is taken (for tests and logs that watch workers). */
  onShard?: (shard: ShardData, attempt: number) => void;
}

/** A worker process's consumer of the shard queue. */
export class ShardWorker {
  private duck: { instance: DuckDBInstance; connection: DuckDBConnection } | undefined;
  private opening: Promise<DuckDBConnection> | undefined;
  private readonly worker: Worker<ShardData, ShardResult>;

  constructor(private readonly options: ShardWorkerOptions) {
    const holdMs = options.holdMs ?? (Number(process.env.TROVE_SHARD_LOCK_MS) || 30_000);
    this.worker = new Worker<ShardData, ShardResult>(SHARD_QUEUE, (job) => this.process(job), {
      connection: queueConnection(options.config.onlineStore),
      prefix: shardQueuePrefix(options.online.keys),
      concurrency: options.concurrency ?? 1,
      lockDuration: holdMs,
      stalledInterval: Math.max(500, Math.floor(holdMs / 2)),
      // A shard whose workers keep dying (out of memory, say) fails after this many, not forever.
      maxStalledCount: 5,
    });
    this.worker.on('error', (err) => options.log('shard queue error', { level: 'warn', err: err.message }));
  }

  /** Resolves once the worker listens to the queue. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

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

  private async process(job: Job<ShardData, ShardResult>): Promise<ShardResult> {
    const shard = job.data;
    const { online, config, log } = this.options;
    this.options.onShard?.(shard, job.attemptsMade + 1);
    const registry = await this.options.registry();
    const view = registry.featureView(shard.view);
    if (view?.kind !== 'batch')
      throw new UnrecoverableError(`feature view ${shard.view} is no longer a batch view in the registry`);
    const codec = online.codec(registry, shard.view);
    if (codec.fingerprint !== shard.fingerprint)
      throw new UnrecoverableError(
        `feature view ${shard.view} changed schema since its run was planned (fingerprint ${codec.fingerprint}, expected ${shard.fingerprint})`,
      );
    let rows = 0;
    let reported = 0;
    const progress: ProgressReporter = {
      start() {},
      advance(n) {
        rows += n;
        const now = Date.now();
        if (now - reported < PROGRESS_EVERY_MS) return;
        reported = now;
        void job.updateProgress({ rows }).catch(() => {});
      },
      finish() {},
    };
    const started = Date.now();
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
    log('materialized shard', {
      view: shard.view,
      day: shard.day,
      shard: `${shard.index + 1}/${shard.count}`,
      attempt: job.attemptsMade + 1,
      rows: stats.rows,
      seconds: (Date.now() - started) / 1000,
    });
    return {
      rows: stats.rows,
      written: stats.written,
      newestEvent: stats.newestEvent === null ? null : stats.newestEvent.toString(),
    };
  }

  /** Stops taking shards, lets the one under way finish, and closes its connections. */
  async close(): Promise<void> {
    await this.worker.close();
    await this.opening?.catch(() => undefined);
    this.duck?.connection.closeSync();
    this.duck?.instance.closeSync();
  }
}
