/**
 * Writing a training dataset with its manifest (SPEC §9): the dataset is written as
 * `writeHistoricalFile` writes it, while a hook records every partition file the query lists; the
 * fingerprints of those files, of the entity input and of the source files are taken while DuckDB
 * runs the join, so the manifest adds little more than the sha256 and the statistics of the output
 * to the dataset's time (bench scenario offline.manifest).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { ResolvedConfig } from '../../config/trove-config.ts';
import { TroveError } from '../../errors.ts';
import { canonicalJson, sha256 } from '../../registry/canonical-json.ts';
import { withRegistryStore } from '../../registry/open-registry-store.ts';
import type { Registry } from '../../registry/registry.ts';
import { outputFeatures, resolveFeatures } from '../../registry/resolve-features.ts';
import { entityFilePath } from '../entity-input.ts';
import { type DatasetFile, writeHistoricalFile } from '../historical-output.ts';
import type { HistoricalRequest } from '../historical-query.ts';
import type { OfflineConfig } from '../offline-duckdb.ts';
import { datasetStatistics } from '../statistics/dataset-statistics.ts';
import { checkStoreFolder } from '../store-folder.ts';
import { codeVersion, troveVersion } from './code-version.ts';
import {
  catalogFolder,
  datasetFolder,
  newDatasetId,
  removeDatasetFolder,
  writeManifest,
} from './dataset-catalog.ts';
import {
  type DatasetManifest,
  datasetNameSchema,
  MANIFEST_FORMAT_VERSION,
  type ManifestPartition,
} from './dataset-manifest.ts';
import { type RecordedRead, recordingReader } from './dataset-reads.ts';
import { type FileFingerprint, fingerprintFile, mapLimit, sha256File } from './fingerprint.ts';
import { GrowingFileHash } from './growing-file-hash.ts';
import { sourceFiles, viewsDependedOn } from './source-files.ts';

/** What the lineage of a dataset needs of the config: the offline store, and the registry for its history. */
export type LineageConfig = OfflineConfig & Partial<Pick<ResolvedConfig, 'registryPath' | 'registryRedis'>>;

/** A dataset file and its manifest. */
export interface Dataset extends DatasetFile {
  /** The manifest as first written: without the statistics of the columns, which follow. */
  manifest: DatasetManifest;
  /**
   * The manifest once it records the statistics of the dataset's columns (rewritten with them), or
   * as first written when none are wanted. Rejects when they cannot be computed, which leaves the
   * manifest without them (then computed from the file when asked); the dataset stands either way.
   */
  statisticsRecorded: Promise<DatasetManifest>;
}

/** The definition hash of a view: sha256 of its canonical JSON as registered. */
export function viewDefinitionHash(view: object): string {
  return sha256(canonicalJson(view));
}

/** Checks a dataset name before any work. */
export function checkDatasetName(name: string): string {
  const parsed = datasetNameSchema.safeParse(name);
  if (!parsed.success) {
    throw new TroveError(
      'INVALID_DATASET_NAME',
      `dataset name ${JSON.stringify(name)}: expected ${parsed.error.issues[0]?.message ?? 'a name'}`,
    );
  }
  return parsed.data;
}

/** The partitions behind the recorded listings, each file once, in (view, date, name) order. */
async function fingerprintPartitions(
  reads: readonly RecordedRead[],
  prints: Map<string, Promise<FileFingerprint>>,
): Promise<ManifestPartition[]> {
  const byPartition = new Map<string, { view: string; date: string; files: Map<string, string> }>();
  for (const read of reads) {
    for (const file of read.result.files) {
      const date = path.basename(path.dirname(file)).slice('date='.length);
      const key = `${read.view}\0${date}`;
      const p = byPartition.get(key) ?? { view: read.view, date, files: new Map<string, string>() };
      byPartition.set(key, p);
      p.files.set(path.basename(file), file);
    }
  }
  // Code-unit order, not localeCompare: the same in every locale, and the first localeCompare of
  // a process loads ICU's collation data, 9 ms on the dataset's path.
  const partitions = [...byPartition.values()].sort((a, b) =>
    a.view === b.view ? (a.date < b.date ? -1 : 1) : a.view < b.view ? -1 : 1,
  );
  const out: ManifestPartition[] = [];
  for (const p of partitions) {
    const names = [...p.files.keys()].sort();
    const files = await Promise.all(
      names.map(async (name) => {
        const file = p.files.get(name)!;
        let print: FileFingerprint;
        try {
          print = await prints.get(file)!;
        } catch {
          throw new TroveError(
            'OFFLINE_STORE_CHANGED',
            `partition ${p.view} date=${p.date} changed while the dataset was built (${name} is gone: a compute or gc ran); build it again`,
            409,
          );
        }
        return { name, ...print };
      }),
    );
    out.push({ view: p.view, date: p.date, files });
  }
  return out;
}

/**
 * Records the statistics of the dataset's feature columns in its manifest: computed by DuckDB from
 * the file as written, then the manifest rewritten with them (atomically, as it was first
 * written). None for an Arrow file, which DuckDB does not read.
 */
async function recordOutputStatistics(
  config: OfflineConfig,
  manifest: DatasetManifest,
  features: readonly string[],
): Promise<DatasetManifest> {
  if (manifest.output.format === 'arrow') return manifest;
  const { file: _, ...statistics } = await datasetStatistics(config, manifest.output.path, features, {
    skipUndescribed: true,
  });
  const recorded = { ...manifest, statistics };
  await writeManifest(config.offlineStorePath, recorded);
  return recorded;
}

/**
 * Writes a training dataset to `out` and records its manifest in the catalog. The manifest is
 * written after the file is in place: a crash in between leaves a dataset without a manifest, never
 * a manifest without its dataset. It resolves once the manifest is written; the statistics of the
 * dataset's columns, a scan of the file that would add a tenth to the dataset's time, are
 * computed after it and added to the manifest (`statisticsRecorded`), so a caller has its dataset
 * and lineage without waiting for them (docs/lineage.md).
 */
export async function writeDataset(
  config: LineageConfig,
  registry: Registry,
  request: HistoricalRequest,
  /** The output file, or where to put it given the dataset's id (a file in the catalog). */
  out: string | ((id: string) => string),
  options: {
    name?: string;
    /**
     * false: the manifest records no statistics of the dataset's columns, which are then computed
     * from the file when asked (`GET /datasets/:id/stats`, `FeatureStore.datasetStatistics`).
     */
    statistics?: boolean;
    /** Filled with the time from the file being in place to the manifest being written (benchmarks). */
    timings?: { manifestMs?: number };
    /** Writes the file in place of `writeHistoricalFile` (a distributed job), with the same hooks. */
    write?: typeof writeHistoricalFile;
  } = {},
): Promise<Dataset> {
  const name = options.name === undefined ? null : checkDatasetName(options.name);
  const createdAt = new Date();
  const id = newDatasetId(createdAt);
  const store = config.offlineStorePath;
  // Resolved first: a bad request fails here, before anything is written.
  const selections = resolveFeatures(registry, {
    ...(request.features ? { features: request.features } : {}),
    ...(request.service !== undefined ? { service: request.service } : {}),
  });
  const outputs = outputFeatures(selections, request.fullFeatureNames ?? false);
  const views = viewsDependedOn(
    registry,
    selections.map((s) => s.view.name),
  );

  // The output is hashed as it is written; a writer that does not say where it writes (a
  // distributed job) has its file hashed once it is complete.
  let growing: GrowingFileHash | undefined;
  let startWriting: () => void = () => undefined;
  // Resolved as the rows start to flow. The query's preparation is a series of short DuckDB steps,
  // each waiting for a turn of the event loop, which work run among them would delay; the
  // fingerprints wait until then and run beside the join's heavy part. A writer that never says
  // (a distributed job) has them taken at once.
  const rowsFlowing = options.write
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        startWriting = resolve;
      });
  const writing = (temp: string) => {
    growing = new GrowingFileHash(temp);
    startWriting();
  };

  // Everything else that does not depend on the join starts now and runs beside it: git first,
  // since forking costs more the more memory the process holds, and the join is about to take some.
  const code = codeVersion(config.repoDir);
  const version = troveVersion();
  const history = config.registryPath
    ? withRegistryStore(
        { registryPath: config.registryPath, registryRedis: config.registryRedis, project: registry.project },
        (store) => store.keepVersion(registry.snapshot),
      )
    : undefined;
  const sources = rowsFlowing.then(() => sourceFiles(config, registry, views));
  const entityFile = entityFilePath(request.entities, request.baseDir);
  const entityCopy =
    entityFile === undefined ? path.join(datasetFolder(store, id), 'entities.parquet') : undefined;
  const entityPrint =
    entityFile === undefined ? undefined : rowsFlowing.then(() => fingerprintFile(entityFile));
  for (const p of [code, version, history, sources, entityPrint]) p?.catch(() => undefined);
  // Files in the catalog are written by path: its folder must not lead out of the store.
  if (entityCopy || typeof out !== 'string') await checkStoreFolder(store, catalogFolder(store));
  if (entityCopy) await mkdir(path.dirname(entityCopy), { recursive: true });
  const target = typeof out === 'string' ? out : out(id);
  if (typeof out !== 'string') await mkdir(path.dirname(target), { recursive: true });

  // Each file listed is fingerprinted once the rows flow, while DuckDB reads it.
  const recorder = recordingReader();
  const prints = new Map<string, Promise<FileFingerprint>>();
  const listFiles: typeof recorder.viewFiles = async (...args) => {
    const listed = await recorder.viewFiles(...args);
    const fresh = listed.files.filter((f) => !prints.has(f));
    const done = rowsFlowing.then(() => mapLimit(fresh, 8, fingerprintFile));
    fresh.forEach((f, i) => {
      const one = done.then((all) => all[i]!);
      one.catch(() => undefined);
      prints.set(f, one);
    });
    return listed;
  };
  try {
    let file: DatasetFile;
    try {
      file = await (options.write ?? writeHistoricalFile)(
        config,
        registry,
        {
          ...request,
          lineage: { viewFiles: listFiles, writing, ...(entityCopy ? { entityCopy } : {}) },
        },
        target,
      );
    } catch (err) {
      await growing?.abandon();
      throw err;
    }
    // A writer that wrote without saying so still gets its inputs fingerprinted.
    startWriting();
    const written = performance.now();
    const [outputHash, partitions, sourcePrints, entities, commit, trove] = await Promise.all([
      growing ? growing.digest(file.path) : sha256File(file.path),
      fingerprintPartitions(recorder.reads, prints),
      sources,
      entityPrint ?? fingerprintFile(entityCopy!),
      code,
      version,
      history,
    ]);
    const manifest: DatasetManifest = {
      formatVersion: MANIFEST_FORMAT_VERSION,
      id,
      name,
      createdAt: createdAt.toISOString(),
      project: registry.project,
      troveVersion: trove,
      code: commit,
      registry: { version: registry.version, hash: registry.snapshot.hash },
      request: {
        features: request.features ? [...request.features] : null,
        service: request.service ?? null,
        fullFeatureNames: request.fullFeatureNames ?? false,
      },
      features: outputs.map((o) => ({
        view: o.view.name,
        feature: o.feature.name,
        output: o.outputName,
        viewHash: viewDefinitionHash(o.view),
      })),
      views: views.map((v) => ({ name: v.name, kind: v.kind, definitionHash: viewDefinitionHash(v) })),
      entities: {
        kind: entityFile === undefined ? 'copy' : 'file',
        path: entityFile ?? path.relative(catalogFolder(store), entityCopy!),
        rows: file.rows,
        file: entities,
      },
      partitions,
      reads: recorder.reads.map((r) => ({
        view: r.view,
        from: r.from,
        to: r.to,
        uniqueKeyTimes: r.result.uniqueKeyTimes,
        uniqueKeys: r.result.uniqueKeys,
      })),
      sources: sourcePrints,
      output: { path: file.path, format: file.format, rows: file.rows, sha256: outputHash },
      statistics: null,
    };
    await writeManifest(store, manifest);
    if (options.timings) options.timings.manifestMs = performance.now() - written;
    // Their DuckDB is opened only now: opened during the join, it took CPU the join needs.
    const statisticsRecorded =
      options.statistics === false
        ? Promise.resolve(manifest)
        : recordOutputStatistics(
            config,
            manifest,
            outputs.map((o) => o.outputName),
          );
    // Handled here so a caller that never looks is not told of an unhandled rejection.
    statisticsRecorded.catch(() => undefined);
    return { ...file, manifest, statisticsRecorded };
  } catch (err) {
    if (entityCopy || typeof out !== 'string') await removeDatasetFolder(store, id);
    throw err;
  }
}
