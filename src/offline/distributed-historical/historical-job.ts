/**
 * A distributed training-dataset job as it lies in the offline store, which every worker sees:
 *
 *   <offlineStorePath>/jobs/historical/<id>/job.json              the plan (plan below)
 *                                           entities.parquet      the entity rows, each with its
 *                                                                 row number and its bucket by
 *                                                                 each key group's hash
 *                                           part-<g>-<b>.parquet  group g's features of bucket b
 *                                           output.<format>       with one bucket, the one shard's
 *                                                                 output file
 *
 * The plan is written only after the coordinator checked the whole entity table: a shard of it
 * skips the single-process checks of its rows.
 *
 * The plan carries the coordinator's listing of each view's files: every shard reads exactly those
 * files (a compute that lands mid-job changes no shard's answer), and the dataset's manifest names
 * the same files. Paths in the plan are relative to the store, so a worker that mounts the store
 * elsewhere still finds them. The folder is removed when the job ends, merged or failed.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ViewFilesReader } from '../lineage/dataset-reads.ts';
import type { ViewFiles } from '../view-files.ts';
import type { KeyGroup } from './shard-split.ts';

export const PLAN_FORMAT_VERSION = 2;

/** One listing of a view's files the coordinator made, files relative to the store. */
export interface PlannedListing {
  view: string;
  from: string | null;
  to: string | null;
  files: string[];
  uniqueKeyTimes: boolean;
  uniqueKeys: boolean;
  partitions: number;
}

/** What every shard of a job needs besides its entity rows. */
export interface HistoricalJobPlan {
  formatVersion: number;
  id: string;
  /** The registry the job was planned with; a worker seeing another refuses the shard. */
  registryHash: string;
  fullFeatureNames: boolean;
  /** The entity table's own columns, in order. */
  columns: string[];
  /** Output names of the requested features, in request order. */
  outputs: string[];
  /** The requested features (`view:feature`), in request order. */
  features: string[];
  groups: KeyGroup[];
  /**
   * One bucket: the job is one shard, which joins every group's features with the single-process
   * query and writes the output file (in `format`) itself; the coordinator only moves it into place.
   */
  whole: boolean;
  format: 'parquet' | 'csv';
  buckets: number;
  listings: PlannedListing[];
  /** Entity rows per bucket, in bucket order, per group. */
  rows: number[][];
}

/**
 * COPY options of the job's Parquet files (the entity file, the parts): each is read once or a few
 * times on the same store and removed with the job, so written fast (no compression) rather than
 * small, in large row groups.
 */
export const TEMPORARY_PARQUET = 'FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 1000000';

export function jobFolder(store: string, id: string): string {
  return path.join(store, 'jobs', 'historical', id);
}

export function entityFile(folder: string): string {
  return path.join(folder, 'entities.parquet');
}

export function partFile(folder: string, group: number, bucket: number): string {
  return path.join(folder, `part-${group}-${bucket}.parquet`);
}

/** The output file a job of one shard (`whole`) writes. */
export function wholeFile(folder: string, format: 'parquet' | 'csv'): string {
  return path.join(folder, `output.${format}`);
}

/** A temporary name beside `file`, unique to one writer: renamed into place when complete. */
export function tempBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
}

const PLAN = 'job.json';

export async function writePlan(folder: string, plan: HistoricalJobPlan): Promise<void> {
  const file = path.join(folder, PLAN);
  const temp = tempBeside(file);
  await writeFile(temp, JSON.stringify(plan));
  await rename(temp, file);
}

/** The plan of a job, or undefined when its folder is gone (the job ended or was abandoned). */
export async function readPlan(folder: string): Promise<HistoricalJobPlan | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(folder, PLAN), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const plan = JSON.parse(text) as HistoricalJobPlan;
  if (plan.formatVersion !== PLAN_FORMAT_VERSION)
    throw new Error(
      `job ${plan.id}: plan format ${plan.formatVersion}, this worker reads ${PLAN_FORMAT_VERSION}`,
    );
  return plan;
}

export function removeJobFolder(folder: string): Promise<void> {
  return rm(folder, { recursive: true, force: true });
}

/** A listing as the plan keeps it. */
export function plannedListing(
  store: string,
  view: string,
  from: string | undefined,
  to: string | undefined,
  listed: ViewFiles,
): PlannedListing {
  return {
    view,
    from: from ?? null,
    to: to ?? null,
    files: listed.files.map((f) => path.relative(store, f)),
    uniqueKeyTimes: listed.uniqueKeyTimes,
    uniqueKeys: listed.uniqueKeys,
    partitions: listed.partitions,
  };
}

function dateOf(file: string): string {
  return path.basename(path.dirname(file)).slice('date='.length);
}

/**
 * Answers a shard's listings from the plan: a shard's entity times lie within the whole table's,
 * so every range it asks for lies within the one the coordinator listed, and its files are those of
 * the listed partitions in range. Markers are the whole listing's: a flag true of every listed
 * partition is true of those in range (one false only costs the slower, equally exact, tie-break).
 */
export function plannedReader(store: string, plan: HistoricalJobPlan): ViewFilesReader {
  return async (_store, view, from, to) => {
    const listing = plan.listings.find((l) => l.view === view);
    if (!listing)
      throw new Error(`job ${plan.id}: feature view ${view} was not listed when the job was planned`);
    const files = listing.files
      .filter((f) => !(from && dateOf(f) < from) && !(to && dateOf(f) > to))
      .map((f) => path.join(store, f));
    return {
      files,
      uniqueKeyTimes: listing.uniqueKeyTimes,
      uniqueKeys: listing.uniqueKeys,
      partitions: new Set(files.map(dateOf)).size,
    };
  };
}
