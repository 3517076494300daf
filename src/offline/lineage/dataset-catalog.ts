/**
 * The dataset catalog of a project, inside its offline store:
 *
 *   <offlineStorePath>/datasets/<id>.json            one manifest per dataset (dataset-manifest.ts)
 *   <offlineStorePath>/datasets/<id>/entities.parquet entity rows given in memory or as SQL
 *
 * A manifest is written to a temporary name and renamed, so the catalog never holds half of one.
 * Ids sort by creation time (`ds-YYYYMMDD-HHMMSS-<random>`); names need not be unique, and a name
 * finds the newest dataset that carries it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { formatPath } from '../../definitions/zod-problems.ts';
import { NotFoundError, TroveError } from '../../errors.ts';
import { showName } from '../../show-value.ts';
import { checkStoreFolder } from '../store-folder.ts';
import { DATASET_ID, type DatasetManifest, datasetManifestSchema } from './dataset-manifest.ts';

export function catalogFolder(offlineStorePath: string): string {
  return path.join(offlineStorePath, 'datasets');
}

function manifestPath(offlineStorePath: string, id: string): string {
  return path.join(catalogFolder(offlineStorePath), `${id}.json`);
}

/** Where a dataset keeps what it needs besides its manifest (a copy of its entity rows). */
export function datasetFolder(offlineStorePath: string, id: string): string {
  return path.join(catalogFolder(offlineStorePath), id);
}

/** A new dataset id, `ds-YYYYMMDD-HHMMSS-xxxxxxxx` (UTC). */
export function newDatasetId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `ds-${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Writes a manifest (atomically: temporary file, fsync, rename). */
export async function writeManifest(offlineStorePath: string, manifest: DatasetManifest): Promise<void> {
  const folder = catalogFolder(offlineStorePath);
  await checkStoreFolder(offlineStorePath, folder);
  await mkdir(folder, { recursive: true });
  const file = manifestPath(offlineStorePath, manifest.id);
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify(manifest, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
}

async function readManifestFile(file: string): Promise<DatasetManifest> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    throw new TroveError('CATALOG_CORRUPT', `dataset manifest ${file} is not valid JSON`, 503);
  }
  const parsed = datasetManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TroveError(
      'CATALOG_CORRUPT',
      `dataset manifest ${file} is not one Trove wrote: ${formatPath(issue.path) || '(top)'}: ${issue.message}`,
      503,
    );
  }
  return parsed.data;
}

/** Every manifest of the catalog, oldest first. Files that are not manifests are skipped. */
export async function listManifests(offlineStorePath: string): Promise<DatasetManifest[]> {
  const folder = catalogFolder(offlineStorePath);
  const names = (await readdir(folder).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.json') && DATASET_ID.test(n.slice(0, -5)))
    .sort();
  const manifests: DatasetManifest[] = [];
  for (const n of names) {
    try {
      manifests.push(await readManifestFile(path.join(folder, n)));
    } catch (err) {
      // Removed since the listing (a concurrent removal): not part of the catalog any more.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  // Ids sort by the second they were made in; within one second, by when each build started.
  return manifests.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

/** A dataset by id, or the newest one with that name. */
export async function findDataset(offlineStorePath: string, idOrName: string): Promise<DatasetManifest> {
  if (DATASET_ID.test(idOrName)) {
    try {
      return await readManifestFile(manifestPath(offlineStorePath, idOrName));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  } else {
    const named = (await listManifests(offlineStorePath)).filter((m) => m.name === idOrName);
    const newest = named.at(-1);
    if (newest) return newest;
  }
  throw new NotFoundError(
    'UNKNOWN_DATASET',
    `no dataset with id or name ${showName(idOrName)} in the catalog ${catalogFolder(offlineStorePath)} (trove datasets list shows them)`,
  );
}

/** Removes what a dataset keeps besides its manifest (after a failed build). */
export async function removeDatasetFolder(offlineStorePath: string, id: string): Promise<void> {
  await rm(datasetFolder(offlineStorePath, id), { recursive: true, force: true });
}
