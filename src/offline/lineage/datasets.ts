/**
 * The catalog's operations behind `trove datasets` and `GET /datasets`: list, show, verify (has
 * anything the dataset read changed, and what) and reproduce (rebuild it from the registry
 * version and partition versions it read, and check the bytes).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import { formatDuration } from '../../definitions/duration.ts';
import { TroveError } from '../../errors.ts';
import { withRegistryStore } from '../../registry/open-registry-store.ts';
import { Registry } from '../../registry/registry.ts';
import { datasetFormatOf } from '../historical-output.ts';
import type { OfflineConfig } from '../offline-duckdb.ts';
import { partitionFolder } from '../offline-layout.ts';
import { viewDefinitionHash } from './build-dataset.ts';
import { datasetFolder, findDataset, listManifests } from './dataset-catalog.ts';
import type { DatasetManifest } from './dataset-manifest.ts';
import type { ViewFilesReader } from './dataset-reads.ts';
import { sameFingerprint, sha256File } from './fingerprint.ts';
import { type LocatedPartition, locatePartitions } from './locate-partitions.ts';
import { DEFAULT_RETENTION_SECONDS } from './retained-snapshots.ts';

/** What the catalog needs of a repo's config. */
export type CatalogConfig = OfflineConfig &
  Pick<ResolvedConfig, 'registryPath' | 'registryRedis' | 'project'> & {
    offlineStore: { retention?: number };
  };

/** A line of `trove datasets list` / `GET /datasets`. */
export interface DatasetSummary {
  id: string;
  name: string | null;
  createdAt: string;
  registryVersion: number;
  features: number;
  rows: number;
  output: string;
}

/** One input that is not as the dataset read it. */
export interface DatasetChange {
  kind: 'registry' | 'view' | 'partition' | 'source' | 'entities';
  /** What changed: `version 3`, a view's name, `view date=YYYY-MM-DD`, a file's path. */
  name: string;
  detail: string;
}

/** What `verify` found. */
export interface VerifyReport {
  id: string;
  name: string | null;
  /** Everything the dataset read is as it was. */
  unchanged: boolean;
  changes: DatasetChange[];
  /** Every partition version the dataset read is still in the store (live or retained). */
  reproducible: boolean;
  /** The output file: as written, changed since, or gone. */
  output: { path: string; status: 'unchanged' | 'changed' | 'missing' };
}

/** What `reproduce` wrote. */
export interface ReproduceResult {
  id: string;
  path: string;
  rows: number;
  sha256: string;
  expected: string;
  identical: boolean;
}

export function retentionOf(config: { offlineStore: { retention?: number } }): number {
  return config.offlineStore.retention ?? DEFAULT_RETENTION_SECONDS;
}

/**
 * Where a dataset's entity rows are: its file, or the copy in the catalog, whose place follows from
 * the id (never from a path in the manifest, which could lead anywhere if edited).
 */
function entityPathOf(store: string, m: DatasetManifest): string {
  return m.entities.kind === 'file'
    ? m.entities.path
    : path.join(datasetFolder(store, m.id), 'entities.parquet');
}

function summary(m: DatasetManifest): DatasetSummary {
  return {
    id: m.id,
    name: m.name,
    createdAt: m.createdAt,
    registryVersion: m.registry.version,
    features: m.features.length,
    rows: m.output.rows,
    output: m.output.path,
  };
}

async function partitionChange(store: string, located: LocatedPartition): Promise<DatasetChange | undefined> {
  const { partition, paths, live } = located;
  const names = (
    await readdir(partitionFolder(store, partition.view, partition.date)).catch(() => [] as string[])
  )
    .filter((n) => n.endsWith('.parquet'))
    .sort();
  const recorded = new Set(partition.files.map((f) => f.name));
  const added = names.filter((n) => !recorded.has(n));
  if (live && added.length === 0) return undefined;
  const name = `${partition.view} date=${partition.date}`;
  const kept = paths.every((p) => p !== undefined);
  let detail: string;
  if (live)
    detail = `${added.length} file${added.length === 1 ? '' : 's'} added since (${added.slice(0, 3).join(', ')}${added.length > 3 ? ', …' : ''}), e.g. by a push`;
  else if (names.length === 0) detail = 'removed by a later compute';
  else detail = 'replaced by a later compute';
  if (!live)
    detail += kept
      ? '; the version read is retained'
      : '; the version read is no longer in the store (its retention expired)';
  return { kind: 'partition', name, detail };
}

/** The catalog of one repo. */
export class Datasets {
  constructor(private readonly config: CatalogConfig) {}

  private get store(): string {
    return this.config.offlineStorePath;
  }

  /** Every dataset, newest first. */
  async list(): Promise<DatasetSummary[]> {
    return (await listManifests(this.store)).reverse().map(summary);
  }

  /** A dataset's manifest, by id or name (the newest with that name). */
  get(idOrName: string): Promise<DatasetManifest> {
    return findDataset(this.store, idOrName);
  }

  /** Compares everything a dataset read with the store, sources, registry and repo as they are now. */
  async verify(idOrName: string): Promise<VerifyReport> {
    const m = await this.get(idOrName);
    const changes: DatasetChange[] = [];
    const current = new Registry(await withRegistryStore(this.config, (registry) => registry.read()));
    if (current.version !== m.registry.version || current.snapshot.hash !== m.registry.hash) {
      changes.push({
        kind: 'registry',
        name: `version ${m.registry.version}`,
        detail: `the registry is now at version ${current.version}${current.snapshot.appliedAt ? ` (applied ${current.snapshot.appliedAt})` : ''}`,
      });
    }
    for (const v of m.views) {
      const now = current.featureView(v.name);
      if (!now) changes.push({ kind: 'view', name: v.name, detail: 'no longer registered' });
      else if (viewDefinitionHash(now) !== v.definitionHash)
        changes.push({ kind: 'view', name: v.name, detail: 'definition changed' });
    }
    const located = await locatePartitions(this.store, m);
    for (const l of located) {
      const change = await partitionChange(this.store, l);
      if (change) changes.push(change);
    }
    for (const s of m.sources) {
      if (await sameFingerprint(s.path, s)) continue;
      const gone = !(await readdir(path.dirname(s.path)).catch(() => [] as string[])).includes(
        path.basename(s.path),
      );
      const what =
        s.kind === 'transform'
          ? `transform module of on-demand view ${s.source}`
          : `file of source ${s.source}`;
      changes.push({ kind: 'source', name: s.path, detail: `${what} ${gone ? 'is gone' : 'changed'}` });
    }
    const entityPath = entityPathOf(this.store, m);
    if (!(await sameFingerprint(entityPath, m.entities.file))) {
      changes.push({
        kind: 'entities',
        name: entityPath,
        detail:
          m.entities.kind === 'file'
            ? 'the entity file changed or is gone'
            : "the catalog's copy of the entity rows changed or is gone",
      });
    }
    const outputHash = await sha256File(m.output.path).catch(() => undefined);
    return {
      id: m.id,
      name: m.name,
      unchanged: changes.length === 0,
      changes,
      reproducible: located.every((l) => l.paths.every((p) => p !== undefined)),
      output: {
        path: m.output.path,
        status:
          outputHash === undefined ? 'missing' : outputHash === m.output.sha256 ? 'unchanged' : 'changed',
      },
    };
  }

  /**
   * Rebuilds a dataset into `out` from the registry version and the partition versions it read,
   * and compares the sha256 with the original's. Fails, writing nothing, when something it read is
   * gone (a partition version whose retention expired, a changed entity file).
   */
  async reproduce(idOrName: string, out: string): Promise<ReproduceResult> {
    const m = await this.get(idOrName);
    const format = datasetFormatOf(out);
    if (format !== m.output.format) {
      throw new TroveError(
        'INVALID_OUTPUT',
        `dataset ${m.id} was written as ${m.output.format}; give --out a .${m.output.format} file to get the same bytes`,
      );
    }
    const snapshot = await withRegistryStore(this.config, async (registry) => {
      const current = await registry.read();
      if (current.version === m.registry.version && current.hash === m.registry.hash) return current;
      return registry.readVersion(m.registry.version, m.registry.hash).catch((err: Error) => {
        throw new TroveError('CANNOT_REPRODUCE', `dataset ${m.id} cannot be reproduced: ${err.message}`, 409);
      });
    });
    const registry = new Registry(snapshot);
    const located = await locatePartitions(this.store, m);
    const missing = located.flatMap((l) =>
      l.paths.some((p) => p === undefined) ? [`${l.partition.view} date=${l.partition.date}`] : [],
    );
    if (missing.length > 0) {
      const ageDays = (Date.now() - Date.parse(m.createdAt)) / 86_400_000;
      throw new TroveError(
        'CANNOT_REPRODUCE',
        `dataset ${m.id} cannot be reproduced: the version it read of partition${missing.length === 1 ? '' : 's'} ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} is no longer in the offline store — a later compute replaced it and its retained copy expired (offlineStore.retention is ${formatDuration(retentionOf(this.config))}; the dataset was built ${ageDays.toFixed(1)} days ago)`,
        409,
      );
    }
    const entityPath = entityPathOf(this.store, m);
    if (!(await sameFingerprint(entityPath, m.entities.file))) {
      throw new TroveError(
        'CANNOT_REPRODUCE',
        `dataset ${m.id} cannot be reproduced: its entity ${m.entities.kind === 'file' ? 'file' : 'rows kept in the catalog at'} ${entityPath} changed or is gone since it was built`,
        409,
      );
    }
    // The query lists each view's files as the original did; the answer is the files recorded then.
    const byView = new Map<string, { date: string; name: string; path: string }[]>();
    for (const l of located) {
      const list = byView.get(l.partition.view) ?? [];
      for (const [i, f] of l.partition.files.entries()) {
        list.push({ date: l.partition.date, name: f.name, path: l.paths[i]! });
      }
      byView.set(l.partition.view, list);
    }
    const replay: ViewFilesReader = async (_store, view, from, to) => {
      const files = (byView.get(view) ?? [])
        .filter((f) => !(from && f.date < from) && !(to && f.date > to))
        .sort((a, b) => (a.date === b.date ? a.name.localeCompare(b.name) : a.date.localeCompare(b.date)));
      const read = m.reads.find((r) => r.view === view && r.from === (from ?? null) && r.to === (to ?? null));
      return {
        files: files.map((f) => f.path),
        uniqueKeyTimes: read?.uniqueKeyTimes ?? false,
        uniqueKeys: read?.uniqueKeys ?? false,
        partitions: new Set(files.map((f) => f.date)).size,
      };
    };
    const { writeHistoricalFile } = await import('../historical-output.ts');
    const file = await writeHistoricalFile(
      this.config,
      registry,
      {
        entities: entityPath,
        ...(m.request.features ? { features: m.request.features } : {}),
        ...(m.request.service !== null ? { service: m.request.service } : {}),
        fullFeatureNames: m.request.fullFeatureNames,
        lineage: { viewFiles: replay },
      },
      out,
    );
    const hash = await sha256File(file.path);
    return {
      id: m.id,
      path: file.path,
      rows: file.rows,
      sha256: hash,
      expected: m.output.sha256,
      identical: hash === m.output.sha256,
    };
  }
}
