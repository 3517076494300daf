/**
 * Where the partition files a dataset read are now: each recorded file is looked for in the live
 * partition of its view and date, then in that partition's retained versions (newest first), and
 * taken where its fingerprint matches the manifest's.
 */
import path from 'node:path';
import { partitionFolder } from '../offline-layout.ts';
import type { DatasetManifest, ManifestPartition } from './dataset-manifest.ts';
import { sameFingerprint } from './fingerprint.ts';
import { retainedPartitions } from './retained-snapshots.ts';

/** A recorded partition and where each of its files is found (undefined: nowhere). */
export interface LocatedPartition {
  partition: ManifestPartition;
  /** Path of each of `partition.files`, in order. */
  paths: (string | undefined)[];
  /** Every file is the live one (the partition has not been replaced). */
  live: boolean;
  /** Retained versions of this date that exist (whether or not they hold the files). */
  retainedVersions: number;
}

export async function locatePartitions(
  offlineStorePath: string,
  manifest: DatasetManifest,
): Promise<LocatedPartition[]> {
  const retained = new Map<string, Awaited<ReturnType<typeof retainedPartitions>>>();
  const retainedOf = async (view: string) => {
    const known = retained.get(view);
    if (known) return known;
    const found = await retainedPartitions(offlineStorePath, view);
    retained.set(view, found);
    return found;
  };
  return Promise.all(
    manifest.partitions.map(async (partition) => {
      const versions = (await retainedOf(partition.view)).filter((r) => r.date === partition.date);
      const live = partitionFolder(offlineStorePath, partition.view, partition.date);
      let allLive = true;
      const paths = await Promise.all(
        partition.files.map(async (file) => {
          const here = path.join(live, file.name);
          if (await sameFingerprint(here, file)) return here;
          allLive = false;
          for (const v of versions) {
            const there = path.join(v.folder, file.name);
            if (await sameFingerprint(there, file)) return there;
          }
          return undefined;
        }),
      );
      return { partition, paths, live: allLive, retainedVersions: versions.length };
    }),
  );
}
