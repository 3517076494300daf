/**
 * The coordinating side of a distributed training dataset (`trove historical --distributed`): it
 * checks the request and the entity table as a single process would, lists each view's files once,
 * writes the entity rows with their buckets by entity hash (per key group, shard-split.ts) into a
 * job folder on the offline store, puts one shard per non-empty bucket of each group on the queue, reports each shard as workers take and finish it, and once every
 * shard is done merges the parts into the output file, identical to the single-process one. The job
 * folder is removed at the end, whether the job succeeded or failed.
 */
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { type Job, Queue, QueueEvents } from 'bullmq';
import { TroveError } from '../../errors.ts';
import type { Registry } from '../../registry/registry.ts';
import { resolveFeatures } from '../../registry/resolve-features.ts';
import { ENTITY_ROW, ENTITY_TABLE } from '../entity-input.ts';
import {
  checkWritable,
  type DatasetFile,
  datasetFormatOf,
  type writeHistoricalFile,
} from '../historical-output.ts';
import { type HistoricalRequest, prepareHistoricalQuery } from '../historical-query.ts';
import type { ViewFilesReader } from '../lineage/dataset-reads.ts';
import type { OfflineConfig } from '../offline-duckdb.ts';
import { historicalOnDemandPlan } from '../on-demand/historical-on-demand.ts';
import { checkStoreFolder } from '../store-folder.ts';
import { viewFiles } from '../view-files.ts';
import {
  type HistoricalJobPlan,
  jobFolder,
  PLAN_FORMAT_VERSION,
  type PlannedListing,
  partFile,
  plannedListing,
  removeJobFolder,
  tempBeside,
  wholeFile,
  writePlan,
} from './historical-job.ts';
import {
  HISTORICAL_JOB_OPTIONS,
  HISTORICAL_QUEUE,
  type HistoricalShardData,
  type HistoricalShardResult,
  historicalQueueConnection,
  historicalQueuePrefix,
  type QueueConfig,
} from './historical-queue.ts';
import { mergeParts } from './part-merge.ts';
import { keyGroups, writeEntityFile } from './shard-split.ts';

/**
 * Buckets the entity table is split into unless told otherwise: one per worker listening when the
 * job is planned, from 1 to this. Each key group is already one shard per bucket, so one worker
 * gets one shard per group; more buckets would only add fixed costs (a DuckDB per shard, and a
 * merge that must join and sort instead of putting one part per group side by side).
 */
export const MAX_DEFAULT_HISTORICAL_SHARDS = 16;

/** Progress of a distributed training dataset, shard by shard and in total. */
export interface HistoricalJobProgress {
  /**
   * The entity rows are split: `shards` non-empty shards, `groups` key groups (each entity row is
   * in one shard per group), `rows` entity rows over all shards (the entity rows × groups).
   */
  start?(fields: { job: string; shards: number; groups: number; rows: number }): void;
  /** A worker took a shard (again, when `attempt` > 1). */
  taken?(fields: { index: number; count: number; group: number; bucket: number; attempt: number }): void;
  /** A shard's part is written; `rows` of it, `seconds` from queueing. */
  shard?(fields: {
    index: number;
    count: number;
    group: number;
    bucket: number;
    rows: number;
    seconds: number;
  }): void;
  /** The parts are being merged into the output. */
  merging?(fields: { rows: number }): void;
}

export interface DistributedHistoricalOptions {
  /** Buckets to split the entity table into (at most 1024; default: one per listening worker, up to 16). */
  shards?: number;
  progress?: HistoricalJobProgress;
  log?: (message: string, fields: Record<string, unknown>) => void;
}

/** Everything a distributed training dataset reads of the config. */
export type DistributedHistoricalConfig = OfflineConfig & QueueConfig;

function checkShards(shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024)
    throw new TroveError('INVALID_SHARDS', `shards: expected an integer from 1 to 1024, got ${shards}`);
  return shards;
}

/**
 * Writes a training dataset through the shard queue; what `writeHistoricalFile` writes, for
 * Parquet and CSV output. `request.lineage` is honoured as there: its listing hook sees every
 * listing the job reads, and its entity copy is made from the checked entity table.
 */
export async function writeDistributedHistoricalFile(
  config: DistributedHistoricalConfig,
  registry: Registry,
  request: HistoricalRequest,
  out: string,
  options: DistributedHistoricalOptions = {},
): Promise<DatasetFile> {
  if (options.shards !== undefined) checkShards(options.shards);
  const log = options.log ?? (() => {});
  const progress = options.progress ?? {};
  const target = path.resolve(out);
  const format = datasetFormatOf(target);
  if (format === 'arrow')
    throw new TroveError(
      'INVALID_OUTPUT',
      `output file ${target}: a distributed training dataset is written as .parquet or .csv`,
    );
  await checkWritable(target);
  if (historicalOnDemandPlan(registry, request))
    throw new TroveError(
      'ON_DEMAND_NOT_SUPPORTED',
      'on-demand features are computed by a single process; build this training dataset without --distributed',
    );
  const selections = resolveFeatures(registry, {
    ...(request.features ? { features: request.features } : {}),
    ...(request.service !== undefined ? { service: request.service } : {}),
  });
  const groups = keyGroups(registry, selections, request.fullFeatureNames ?? false);

  const store = config.offlineStorePath;
  const id = randomUUID();
  const folder = jobFolder(store, id);
  await checkStoreFolder(store, folder);
  await mkdir(folder, { recursive: true });
  // BullMQ leaves connections it is given open when it closes: they are closed here at the end.
  const connections = [historicalQueueConnection(config), historicalQueueConnection(config)];
  const queue = new Queue<HistoricalShardData, HistoricalShardResult>(HISTORICAL_QUEUE, {
    connection: connections[0]!,
    prefix: historicalQueuePrefix(config),
  });
  queue.on('error', () => {});
  queue.setMaxListeners(0);
  const events = new QueueEvents(HISTORICAL_QUEUE, {
    connection: connections[1]!,
    prefix: historicalQueuePrefix(config),
  });
  events.on('error', () => {});
  let jobs: Job<HistoricalShardData, HistoricalShardResult>[] = [];
  const temp = tempBeside(target);
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
    const listening = await queue.getWorkersCount();
    const buckets = options.shards ?? Math.min(MAX_DEFAULT_HISTORICAL_SHARDS, Math.max(1, listening));
    // Listed once, here: every shard reads these files, and the lineage hook sees these listings.
    const listings: PlannedListing[] = [];
    const listFiles = request.lineage?.viewFiles ?? viewFiles;
    const recording: ViewFilesReader = async (s, view, from, to) => {
      const listed = await listFiles(s, view, from, to);
      listings.push(plannedListing(store, view, from, to, listed));
      return listed;
    };
    const query = await prepareHistoricalQuery(config, registry, {
      ...request,
      lineage: { ...request.lineage, viewFiles: recording },
    });
    let rows: number[][];
    let columns: string[];
    try {
      const described = await query.db.connection.runAndReadAll(`DESCRIBE ${ENTITY_TABLE}`);
      columns = described
        .getRowObjectsJS()
        .map((r) => String(r.column_name))
        .filter((c) => c !== ENTITY_ROW);
      rows = await writeEntityFile(query.db.connection, folder, groups, buckets);
    } finally {
      query.close();
    }
    const plan: HistoricalJobPlan = {
      formatVersion: PLAN_FORMAT_VERSION,
      id,
      registryHash: registry.snapshot.hash,
      fullFeatureNames: request.fullFeatureNames ?? false,
      columns,
      outputs: query.outputs.map((o) => o.outputName),
      features: query.outputs.map((o) => `${o.view.name}:${o.feature.name}`),
      groups,
      whole: buckets === 1,
      format,
      buckets,
      listings,
      rows,
    };
    await writePlan(folder, plan);

    const entityRows = rows[0]!.reduce((a, b) => a + b, 0);
    const filled = plan.whole
      ? [{ group: 0, bucket: 0 }]
      : rows.flatMap((counts, group) => counts.flatMap((n, bucket) => (n > 0 ? [{ group, bucket }] : [])));
    const total = plan.whole ? entityRows : rows.flat().reduce((a, b) => a + b, 0);
    progress.start?.({ job: id, shards: filled.length, groups: groups.length, rows: total });
    if (listening === 0)
      log('no worker takes training-dataset shards yet; the job waits for one', { job: id });
    const queuedAt = Date.now();
    jobs = await queue.addBulk(
      filled.map(({ group, bucket }, index) => ({
        name: id,
        data: { jobId: id, group, bucket, index, count: filled.length },
        opts: HISTORICAL_JOB_OPTIONS,
      })),
    );
    log('queued training-dataset shards', { job: id, shards: filled.length, groups: groups.length, buckets });
    const byJobId = new Map(jobs.map((j) => [j.id!, j]));
    const attempts = new Map<string, number>();
    events.on('active', ({ jobId }) => {
      const job = byJobId.get(jobId);
      if (!job) return;
      const attempt = (attempts.get(jobId) ?? 0) + 1;
      attempts.set(jobId, attempt);
      const { index, count, group, bucket } = job.data;
      progress.taken?.({ index, count, group, bucket, attempt });
    });
    const settled = await Promise.allSettled(
      jobs.map(async (job) => {
        const result = (await job.waitUntilFinished(events)) as HistoricalShardResult;
        progress.shard?.({
          index: job.data.index,
          count: job.data.count,
          group: job.data.group,
          bucket: job.data.bucket,
          rows: result.rows,
          seconds: (Date.now() - queuedAt) / 1000,
        });
        return result;
      }),
    );
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    if (failures.length > 0)
      throw new TroveError(
        'SHARD_FAILED',
        `training dataset: ${failures.length} of ${jobs.length} shards failed (first: ${failures[0]!.message}); nothing written`,
      );
    progress.merging?.({ rows: total });
    let written: number;
    if (plan.whole) {
      // The shard wrote the output as `trove historical` does: it only has to be moved into place.
      written = (settled[0] as PromiseFulfilledResult<HistoricalShardResult>).value.rows;
      await moveFile(wholeFile(folder, format), temp);
    } else {
      const parts = groups.map((_, g) =>
        filled.filter((s) => s.group === g).map((s) => partFile(folder, g, s.bucket)),
      );
      written = await mergeParts(config, plan, parts, temp, format);
    }
    if (written !== entityRows)
      throw new Error(`training dataset: ${written} rows written of ${entityRows} entity rows`);
    await rename(temp, target);
    log('merged training dataset', { job: id, rows: written, path: target });
    return { path: target, rows: written, format };
  } catch (err) {
    await rm(temp, { force: true });
    // Shards not taken yet are dropped; one under way fails on its own once the folder is gone.
    await Promise.allSettled(jobs.map((j) => j.remove()));
    throw err;
  } finally {
    await removeJobFolder(folder);
    await Promise.allSettled([events.close(), queue.close()]);
    for (const c of connections) c.disconnect();
  }
}

/** Renames `from` to `to`, or copies it when they lie on different file systems. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await copyFile(from, to);
  }
}

/** `writeDistributedHistoricalFile` in the shape of `writeHistoricalFile`, for `writeDataset`. */
export function distributedWriter(
  config: DistributedHistoricalConfig,
  options: DistributedHistoricalOptions,
): typeof writeHistoricalFile {
  return (_config, registry, request, out) =>
    writeDistributedHistoricalFile(config, registry, request, out, options);
}
