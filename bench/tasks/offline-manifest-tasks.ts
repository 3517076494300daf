/**
 * Work measured by the offline.manifest scenario, run in child processes (see measure.ts): the
 * same training dataset (the offline.pit store and views) written with and without its manifest.
 */
import path from 'node:path';
import { writeHistoricalFile } from '../../src/offline/historical-output.ts';
import { writeDataset } from '../../src/offline/lineage/build-dataset.ts';
import { benchConfig, benchRegistry, FEATURES } from './offline-pit-tasks.ts';

export { generateEntities, generateStore } from './offline-pit-tasks.ts';

/** The dataset alone, as before manifests existed. */
export async function withoutManifest(args: { dir: string; entities: string; out: string }): Promise<number> {
  const file = await writeHistoricalFile(
    benchConfig(args.dir),
    benchRegistry(args.dir),
    { entities: args.entities, features: FEATURES },
    args.out,
  );
  return file.rows;
}

/**
 * The dataset with its manifest in the catalog, with the statistics of its columns unless
 * `statistics` is false. Returns its rows; the time until `writeDataset` resolved (the file and its
 * manifest in place: what a caller waits for), of which the part after the file was written; and
 * waits for the statistics to be recorded, which the call's whole time includes.
 */
export async function withManifest(args: {
  dir: string;
  entities: string;
  out: string;
  statistics?: boolean;
}): Promise<{ rows: number; datasetMs: number; manifestMs: number; partitions: number; columns: number }> {
  const timings: { manifestMs?: number } = {};
  const started = performance.now();
  const dataset = await writeDataset(
    { ...benchConfig(args.dir), registryPath: path.join(args.dir, 'registry.json') },
    benchRegistry(args.dir),
    { entities: args.entities, features: FEATURES },
    args.out,
    { timings, statistics: args.statistics ?? true },
  );
  const datasetMs = performance.now() - started;
  const recorded = await dataset.statisticsRecorded;
  return {
    rows: dataset.rows,
    datasetMs,
    manifestMs: timings.manifestMs ?? 0,
    partitions: dataset.manifest.partitions.length,
    columns: recorded.statistics?.features.length ?? 0,
  };
}
