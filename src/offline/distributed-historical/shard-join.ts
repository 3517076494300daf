/**
 * The worker's side of a distributed training dataset: takes shards off the queue and joins each
 * one's entity rows against the feature rows of its bucket with the single-process point-in-time
 * query, reading the files the job's plan lists, and writes the rows with their entity-row numbers
 * to the shard's part file. The part appears only complete (written beside and renamed), so a
 * worker killed mid-shard leaves nothing a merge could take; BullMQ's stalled-job check puts the
 * shard back on the queue once the dead worker's hold lapses, and another worker joins it again.
 */
import { rename, rm } from 'node:fs/promises';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { quoteString } from '../../duckdb/sql-literals.ts';
import type { Registry } from '../../registry/registry.ts';
import { copyOptions } from '../historical-output.ts';
import { prepareHistoricalQuery } from '../historical-query.ts';
import type { OfflineConfig } from '../offline-duckdb.ts';
import { bucketColumn } from './entity-hash.ts';
import {
  entityFile,
  jobFolder,
  partFile,
  plannedReader,
  readPlan,
  TEMPORARY_PARQUET,
  tempBeside,
  wholeFile,
} from './historical-job.ts';
import {
  HISTORICAL_QUEUE,
  type HistoricalShardData,
  type HistoricalShardResult,
  historicalQueueConnection,
  historicalQueuePrefix,
  type QueueConfig,
} from './historical-queue.ts';

export interface HistoricalShardWorkerOptions {
  config: OfflineConfig & QueueConfig;
  /** The current registry, read again per shard. */
  registry: () => Promise<Registry>;
  log: (message: string, fields: Record<string, unknown>) => void;
  /** Shards joined at once in this process (default 1: DuckDB already uses every core it is given). */
  concurrency?: number;
  /**
   * How long the worker's hold on a shard lasts without renewal: a killed worker's shard goes back
   * on the queue this long after its death, at most (default 30 s; env TROVE_SHARD_LOCK_MS).
   */
  holdMs?: number;
  /** Told when a shard is taken (for tests and logs that watch workers). */
  onShard?: (shard: HistoricalShardData, attempt: number) => void;
}

/** A worker process's consumer of the training-dataset shard queue. */
export class HistoricalShardWorker {
  private readonly worker: Worker<HistoricalShardData, HistoricalShardResult>;
  /** Closed by `close`: BullMQ leaves a connection it is given open. */
  private readonly connection: ReturnType<typeof historicalQueueConnection>;

  constructor(private readonly options: HistoricalShardWorkerOptions) {
    const holdMs = options.holdMs ?? (Number(process.env.TROVE_SHARD_LOCK_MS) || 30_000);
    this.connection = historicalQueueConnection(options.config);
    this.worker = new Worker<HistoricalShardData, HistoricalShardResult>(
      HISTORICAL_QUEUE,
      (job) => this.process(job),
      {
        connection: this.connection,
        prefix: historicalQueuePrefix(options.config),
        concurrency: options.concurrency ?? 1,
        lockDuration: holdMs,
        stalledInterval: Math.max(500, Math.floor(holdMs / 2)),
        // A shard whose workers keep dying (out of memory, say) fails after this many, not forever.
        maxStalledCount: 5,
      },
    );
    this.worker.on('error', (err) =>
      options.log('training-dataset shard queue error', { level: 'warn', err: err.message }),
    );
  }

  /** Resolves once the worker listens to the queue. */
  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  private async process(
    job: Job<HistoricalShardData, HistoricalShardResult>,
  ): Promise<HistoricalShardResult> {
    const shard = job.data;
    const { config, log } = this.options;
    this.options.onShard?.(shard, job.attemptsMade + 1);
    const started = performance.now();
    const store = config.offlineStorePath;
    const folder = jobFolder(store, shard.jobId);
    const plan = await readPlan(folder);
    if (!plan)
      throw new UnrecoverableError(`training-dataset job ${shard.jobId} is gone (it ended or was abandoned)`);
    const registry = await this.options.registry();
    if (registry.snapshot.hash !== plan.registryHash)
      throw new UnrecoverableError(
        `the registry changed since training-dataset job ${plan.id} was planned (hash ${registry.snapshot.hash}, expected ${plan.registryHash})`,
      );
    const group = plan.groups[shard.group];
    if (!group)
      throw new UnrecoverableError(`training-dataset job ${plan.id} has no key group ${shard.group}`);
    // A job of one bucket is one shard of every group: it writes the output file itself.
    const target = plan.whole ? wholeFile(folder, plan.format) : partFile(folder, shard.group, shard.bucket);
    const temp = tempBeside(target);
    const query = await prepareHistoricalQuery(
      config,
      registry,
      {
        entities: entityFile(folder),
        features: plan.whole ? plan.features : group.features,
        fullFeatureNames: plan.fullFeatureNames,
        shard: {
          keys: group.keys,
          buckets: plan.buckets,
          bucket: shard.bucket,
          bucketColumn: bucketColumn(shard.group),
          columns: plan.columns,
          // The plan exists only once the coordinator checked the whole entity table.
          checked: true,
          // The first group's parts carry the entity columns; the others only their features.
          withColumns: plan.whole || shard.group === 0,
          withRow: !plan.whole,
        },
        lineage: { viewFiles: plannedReader(store, plan) },
      },
      temp,
    );
    let rows: number;
    try {
      // A part is read once, by the merge on the same store; the whole output as `trove historical` writes it.
      const options = plan.whole ? copyOptions(plan.format) : TEMPORARY_PARQUET;
      const copied = await query.db.connection.runAndReadAll(
        `COPY (${query.sql}) TO ${quoteString(temp)} (${options})`,
      );
      rows = Number(copied.getColumns()[0]?.[0] ?? 0);
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    } finally {
      query.close();
    }
    const seconds = (performance.now() - started) / 1000;
    log('joined training-dataset shard', {
      job: plan.id,
      shard: `${shard.index + 1}/${shard.count}`,
      group: shard.group,
      bucket: shard.bucket,
      attempt: job.attemptsMade + 1,
      rows,
      seconds,
    });
    return { rows, seconds };
  }

  /** Stops taking shards, lets the one under way finish, and closes the worker's connections. */
  async close(): Promise<void> {
    await this.worker.close();
    this.connection.disconnect();
  }
}
