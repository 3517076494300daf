import type { Table } from 'apache-arrow';
import { loadConfig, type ResolvedConfig } from './config/trove-config.ts';
import type { LockWaitOptions, MaterializeContext, ViewMaterialization } from './materialize/materialize.ts';
import type { MaterializeChecksOptions } from './materialize/validation/refuse-failed-computes.ts';
import type { ViewFreshness } from './materialize/view-freshness.ts';
import type { ComputeOptions, ViewComputeResult } from './offline/compute-views.ts';
import type { DistributedComputeOptions } from './offline/distributed/compute-coordinator.ts';
import type { DistributedHistoricalOptions } from './offline/distributed-historical/historical-job-coordinator.ts';
import type { DriftOptions, DriftReport } from './offline/drift/compute-drift.ts';
import type { HistoricalBatches } from './offline/historical-output.ts';
import type { HistoricalRequest } from './offline/historical-query.ts';
import type { Dataset } from './offline/lineage/build-dataset.ts';
import type { DatasetManifest } from './offline/lineage/dataset-manifest.ts';
import type { Datasets } from './offline/lineage/datasets.ts';
import type { GcReport } from './offline/lineage/gc.ts';
import type { TimeInput } from './offline/parse-timestamp.ts';
import type { DatasetStatistics } from './offline/statistics/dataset-statistics.ts';
import type { StatisticsRange, ViewStatistics } from './offline/statistics/view-statistics.ts';
import type { ValidationRecord } from './offline/validation/validation-record.ts';
import type { ConsistencyOptions, ConsistencyReport } from './online/consistency/check-consistency.ts';
import type { ConsistencyResult } from './online/consistency/consistency-results.ts';
import { OnDemandPlans } from './online/on-demand/on-demand-plans.ts';
import { readOnDemand } from './online/on-demand/read-on-demand.ts';
import type { OnlineFeaturesRequest, OnlineFeaturesResponse } from './online/online-response.ts';
import { OnlineStore } from './online/online-store.ts';
import type { PushRequest, PushResult } from './push/push-rows.ts';
import type { OnDemandPlan } from './registry/on-demand-plan.ts';
import { openRegistryStore } from './registry/open-registry-store.ts';
import { Registry } from './registry/registry.ts';
import type { RegistryStore } from './registry/registry-store.ts';

/** Options of one online read. */
export interface OnlineReadOptions {
  /** Instant the view ttls are judged at; the current time by default. */
  now?: Date;
}

/** How to open a store. */
export interface FeatureStoreOptions {
  /** Environment for overrides (REDIS_URL, ...); defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Wires the parts of Trove for one feature repo: its config, its registry, the offline store and
 * the online store. Long-lived callers (the server, the materializer) keep one and call
 * `registry()`, which re-reads the registry only when its store reports a change (a file's mtime
 * or size; a Redis registry's version key, pushed by pub/sub and polled each second).
 *
 * The offline store, materialization and push are imported on first use, not with this module:
 * DuckDB, Arrow and their callers take hundreds of milliseconds to load, and an online read (the
 * CLI's `trove online`, a serving process) needs none of them.
 */
export class FeatureStore {
  readonly config: ResolvedConfig;
  /** Where the registry is kept: its file, or a Redis shared with other machines. */
  readonly registryStore: RegistryStore;
  private cached: { registry: Registry; token: string } | undefined;
  /** The load of a changed registry under way, for the change token it was started for. */
  private loading: { token: string; registry: Promise<Registry> } | undefined;
  /**
   * What the check of the registry file in the current turn of the event loop found: the registry,
   * or the load of a changed file that every read of the turn waits for (never the registry it
   * replaces). An object, not a field, so stores derived with Object.create share what the turn's
   * end clears.
   */
  private readonly turn: { current: Registry | Promise<Registry> | undefined } = { current: undefined };
  private readonly endTurn = (): void => {
    this.turn.current = undefined;
  };
  private onlineStore: OnlineStore | undefined;
  /** Datasets this store wrote whose statistics are still being recorded, by id: `close` waits. */
  private readonly recordingStatistics = new Map<string, Promise<DatasetManifest>>();
  private readonly onDemand: OnDemandPlans;

  private constructor(config: ResolvedConfig) {
    this.config = config;
    this.registryStore = openRegistryStore(config);
    this.onDemand = new OnDemandPlans(config.repoDir, config.onDemand.onlineTimeoutMs);
  }

  static async open(repoDir: string, options: FeatureStoreOptions = {}): Promise<FeatureStore> {
    return new FeatureStore(await loadConfig(repoDir, options.env ?? process.env));
  }

  /**
   * The registry as last applied. Its change token is checked at most once per turn of the event
   * loop: requests that arrive together share one check, any request that arrives after the store
   * reports an apply sees it, and once a change is seen every read waits for the one load of it.
   * The check costs no I/O round trip: a synchronous stat of a local file (microseconds), or the
   * version a Redis registry's subscription and poll last reported.
   */
  registry(): Promise<Registry> {
    try {
      const current = this.currentRegistry();
      return current instanceof Registry ? Promise.resolve(current) : current;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * `registry()` without a promise when the cached registry is current, which is nearly always:
   * online reads take it synchronously and save the promise and the turns spent awaiting it.
   */
  private currentRegistry(): Registry | Promise<Registry> {
    if (this.turn.current !== undefined) return this.turn.current;
    const token = this.registryStore.changeToken();
    setImmediate(this.endTurn);
    let current: Registry | Promise<Registry>;
    if (this.cached?.token === token) current = this.cached.registry;
    else if (this.loading?.token === token) current = this.loading.registry;
    else current = this.loadRegistry(token);
    this.turn.current = current;
    return current;
  }

  /** Loads the registry; reads in later turns share the load while the registry stays as it was. */
  private loadRegistry(token: string): Promise<Registry> {
    const registry = this.registryStore.read().then((snapshot) => {
      const loaded = new Registry(snapshot);
      this.cached = { registry: loaded, token };
      return loaded;
    });
    const loading = { token, registry };
    this.loading = loading;
    const settled = (): void => {
      if (this.loading === loading) this.loading = undefined;
    };
    registry.then(settled, settled);
    return registry;
  }

  /** The project's online store; connects to Redis on first use. */
  online(): OnlineStore {
    this.onlineStore ??= new OnlineStore(this.config.onlineStore, this.config.project);
    return this.onlineStore;
  }

  /**
   * Online features of entities: one Redis round trip whatever the number of views. `now` is the
   * read instant the ttl is judged at (default: the current time), so a caller can ask what a
   * point-in-time join at that instant would give.
   */
  getOnlineFeatures(
    request: OnlineFeaturesRequest,
    options: OnlineReadOptions = {},
  ): Promise<OnlineFeaturesResponse> {
    // Not async: with the registry current (the usual case) the read's own promise is the answer,
    // with no promise or turns of an async wrapper around it.
    let registry: Registry | Promise<Registry>;
    try {
      registry = this.currentRegistry();
    } catch (err) {
      return Promise.reject(err);
    }
    const nowMs = options.now?.getTime() ?? Date.now();
    if (registry instanceof Registry) return this.readAt(registry, request, nowMs);
    return registry.then((r) => this.readAt(r, request, nowMs));
  }

  /**
   * Gets online reads of on-demand features ready: their transforms' worker started and their
   * modules imported, so the first request does not pay for it. Servers call it before listening.
   */
  async prepareOnline(): Promise<void> {
    await this.onDemand.prepare(await this.registry());
  }

  /** A read against one registry version: the store's own, or through on-demand views' transforms. */
  private readAt(
    registry: Registry,
    request: OnlineFeaturesRequest,
    nowMs: number,
  ): Promise<OnlineFeaturesResponse> {
    let plan: OnDemandPlan | undefined;
    try {
      plan = this.onDemand.plan(registry, request);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!plan) return this.online().read(registry, request, nowMs);
    return readOnDemand(
      {
        store: this.online(),
        registry,
        runner: this.onDemand.onlineRunner,
      },
      plan,
      request,
      nowMs,
    );
  }

  private async materializeContext(
    options: Pick<MaterializeContext, 'log' | 'progress' | 'distributed'>,
  ): Promise<MaterializeContext> {
    return { config: this.config, registry: await this.registry(), online: this.online(), ...options };
  }

  /** Loads offline rows with event time in [start, end] into the online store. */
  async materialize(
    options: { start: Date; end: Date; views?: readonly string[] } & Pick<
      MaterializeContext,
      'log' | 'progress' | 'distributed'
    > &
      LockWaitOptions &
      MaterializeChecksOptions,
  ): Promise<ViewMaterialization[]> {
    const { materialize } = await import('./materialize/materialize.ts');
    return materialize(await this.materializeContext(options), options);
  }

  /** Loads each view's rows from its watermark (less the late-arrival window) to `end`. */
  async materializeIncremental(
    options: { end: Date; views?: readonly string[] } & Pick<
      MaterializeContext,
      'log' | 'progress' | 'distributed'
    > &
      LockWaitOptions &
      MaterializeChecksOptions,
  ): Promise<ViewMaterialization[]> {
    const { materializeIncremental } = await import('./materialize/materialize.ts');
    return materializeIncremental(await this.materializeContext(options), options);
  }

  /**
   * Pushes rows to a push source, online and/or offline; every row is checked against the views'
   * types before anything is written.
   */
  async push(request: PushRequest): Promise<PushResult> {
    const { pushRows } = await import('./push/push-rows.ts');
    return pushRows(await this.registry(), () => this.online(), this.config, request);
  }

  /** Removes the project's online data (values, watermarks, locks); resolves to the keys removed. */
  async teardown(): Promise<number> {
    return this.online().teardown();
  }

  /** The newest event time materialized into the online store, per online view: for freshness. */
  async newestEventTimes(): Promise<Record<string, Date | null>> {
    const { readNewestEvents } = await import('./materialize/newest-event.ts');
    return readNewestEvents(this.online(), await this.registry());
  }

  /** The outcome of each view's newest compute (checks passed, failed or skipped), from the offline store. */
  async validationRecords(): Promise<ValidationRecord[]> {
    const { readValidationRecords } = await import('./offline/validation/validation-record.ts');
    const [registry, records] = await Promise.all([
      this.registry(),
      readValidationRecords(this.config.offlineStorePath),
    ]);
    // A deleted view's record stays in the store; its series go with the view.
    return records.filter((r) => registry.featureView(r.view) !== undefined);
  }

  /** Newest online event time and materialization watermark per online view (the UI's freshness). */
  async viewFreshness(): Promise<Record<string, ViewFreshness>> {
    const { readViewFreshness } = await import('./materialize/view-freshness.ts');
    return readViewFreshness(this.online(), await this.registry());
  }

  /** The last `trove check-consistency` result of each view that has one, kept in Redis. */
  async lastConsistencyChecks(): Promise<Record<string, ConsistencyResult>> {
    const { readConsistency } = await import('./online/consistency/consistency-results.ts');
    return readConsistency(this.online(), await this.registry());
  }

  /**
   * For a sample of the entities each online view holds, the online values against the
   * point-in-time join at the same instant; each view's result is kept for `/metrics`.
   */
  async checkConsistency(options: ConsistencyOptions = {}): Promise<ConsistencyReport> {
    const { checkConsistency } = await import('./online/consistency/check-consistency.ts');
    return checkConsistency(this.config, await this.registry(), this.online(), options);
  }

  /**
   * Population stability index per feature between a training dataset (a file, or an id or name
   * in the dataset catalog) and offline data with event time in `[start, end)`.
   */
  async drift(
    options: Omit<DriftOptions, 'start' | 'end'> & { start?: TimeInput; end?: TimeInput },
  ): Promise<DriftReport> {
    const { start, end, ...rest } = options;
    const [{ computeDrift }, { toInstant }] = await Promise.all([
      import('./offline/drift/compute-drift.ts'),
      import('./offline/parse-timestamp.ts'),
    ]);
    return computeDrift(this.config, await this.registry(), {
      ...rest,
      ...(start !== undefined ? { start: toInstant(start, 'start') } : {}),
      ...(end !== undefined ? { end: toInstant(end, 'end') } : {}),
    });
  }

  /** Throws UnavailableError unless Redis answers within the configured timeouts. */
  async pingOnline(): Promise<void> {
    await this.online().ping();
  }

  /**
   * Computes feature views into the offline store. With `start`/`end` (ISO text without a zone is
   * UTC), exactly the rows with event time in `[start, end)` are replaced. With `distributed`, each
   * view's partition days are staged by the shard queue's workers (docs/distributed-materialization.md).
   */
  async compute(
    options: Omit<ComputeOptions, 'start' | 'end'> & {
      start?: TimeInput;
      end?: TimeInput;
      distributed?: DistributedComputeOptions;
    } = {},
  ): Promise<ViewComputeResult[]> {
    const { start, end, distributed, ...rest } = options;
    const [{ computeViews }, { toInstant }] = await Promise.all([
      import('./offline/compute-views.ts'),
      import('./offline/parse-timestamp.ts'),
    ]);
    const computeOptions: ComputeOptions = {
      ...rest,
      ...(start !== undefined ? { start: toInstant(start, 'start') } : {}),
      ...(end !== undefined ? { end: toInstant(end, 'end') } : {}),
    };
    const results = distributed
      ? await (await import('./offline/distributed/compute-coordinator.ts')).computeViewsDistributed(
          this.config,
          await this.registry(),
          computeOptions,
          distributed,
        )
      : await computeViews(this.config, await this.registry(), computeOptions);
    // Partition versions this compute (or an earlier one) replaced expire here and in `trove gc`.
    // The views are computed either way: an expiry that cannot run (a catalog file it cannot read)
    // removes nothing, and `trove gc` reports why.
    await this.gc().catch(() => undefined);
    return results;
  }

  /** Finishes interrupted swaps and expires retained partition versions (docs/lineage.md). */
  async gc(options: { now?: number } = {}): Promise<GcReport> {
    const [{ collectGarbage }, { retentionOf }] = await Promise.all([
      import('./offline/lineage/gc.ts'),
      import('./offline/lineage/datasets.ts'),
    ]);
    return collectGarbage(this.config.offlineStorePath, retentionOf(this.config), options);
  }

  /** The dataset catalog: list, show, verify and reproduce training datasets (SPEC §9). */
  async datasets(): Promise<Datasets> {
    const { Datasets } = await import('./offline/lineage/datasets.ts');
    return new Datasets(this.config);
  }

  /** A view's statistics merged over the partitions of `range` (all of them without one). */
  async viewStatistics(view: string, range: StatisticsRange = {}): Promise<ViewStatistics> {
    const { viewStatistics } = await import('./offline/statistics/view-statistics.ts');
    return viewStatistics(this.config, await this.registry(), view, range);
  }

  /**
   * The statistics of a training dataset's feature columns, the dataset found by id or name: as
   * its manifest records them (waiting for ones this store is still recording), or computed from
   * its file for a manifest without them (`statistics: false`, or written before they were).
   */
  async datasetStatistics(idOrName: string): Promise<DatasetStatistics & { dataset: string }> {
    const [{ datasetStatistics }, { resolve }, datasets] = await Promise.all([
      import('./offline/statistics/dataset-statistics.ts'),
      import('node:path'),
      this.datasets(),
    ]);
    let manifest = await datasets.get(idOrName);
    const recording = this.recordingStatistics.get(manifest.id);
    // Being recorded by this store: waiting for them costs less than a second scan.
    if (recording) manifest = await recording.catch(() => manifest);
    const file = resolve(this.config.repoDir, manifest.output.path);
    if (manifest.statistics) return { dataset: manifest.id, file, ...manifest.statistics };
    const stats = await datasetStatistics(
      this.config,
      file,
      manifest.features.map((f) => f.output),
    );
    return { dataset: manifest.id, ...stats };
  }

  /**
   * A point-in-time-correct training dataset (SPEC §4): an Arrow table, or with `out` a Parquet,
   * CSV or Arrow IPC file (by extension) whose path, row count and manifest (SPEC §9, recorded in
   * the dataset catalog, optionally under `name`) are returned. The statistics of its columns are
   * added to the manifest after it resolves (`statisticsRecorded`; `close` waits for them).
   */
  async getHistoricalFeatures(
    request: HistoricalRequest & {
      out: string;
      name?: string;
      distributed?: DistributedHistoricalOptions;
      /** false: the manifest records no column statistics (computed from the file when asked). */
      statistics?: boolean;
    },
  ): Promise<Dataset>;
  async getHistoricalFeatures(request: HistoricalRequest & { out?: undefined }): Promise<Table>;
  async getHistoricalFeatures(
    request: HistoricalRequest & {
      out?: string;
      name?: string;
      distributed?: DistributedHistoricalOptions;
      statistics?: boolean;
    },
  ): Promise<Table | Dataset> {
    const { out, name, distributed, statistics, ...rest } = request;
    const registry = await this.registry();
    if (out === undefined) {
      const { historicalTable } = await import('./offline/historical-output.ts');
      return historicalTable(this.config, registry, rest);
    }
    const { writeDataset } = await import('./offline/lineage/build-dataset.ts');
    // Distributed: the file is written through the shard queue (distributed-historical/).
    const write = distributed
      ? (await import('./offline/distributed-historical/historical-job-coordinator.ts')).distributedWriter(
          this.config,
          distributed,
        )
      : undefined;
    return this.tracked(
      await writeDataset(this.config, registry, rest, out, {
        ...(name === undefined ? {} : { name }),
        ...(write ? { write } : {}),
        ...(statistics === undefined ? {} : { statistics }),
      }),
    );
  }

  /** Keeps `dataset`'s statistics in view until they are recorded, so `close` waits for them. */
  private tracked(dataset: Dataset): Dataset {
    const id = dataset.manifest.id;
    const settled = dataset.statisticsRecorded.finally(() => this.recordingStatistics.delete(id));
    settled.catch(() => undefined);
    this.recordingStatistics.set(id, settled);
    return dataset;
  }

  /**
   * A training dataset written as Parquet into the dataset catalog (`datasets/<id>/dataset.parquet`
   * in the offline store) with its manifest: for callers that cannot name a file, such as HTTP.
   */
  async saveHistoricalFeatures(
    request: HistoricalRequest & { name?: string; statistics?: boolean },
  ): Promise<Dataset> {
    const { name, statistics, ...rest } = request;
    const registry = await this.registry();
    const [{ writeDataset }, { datasetFolder }] = await Promise.all([
      import('./offline/lineage/build-dataset.ts'),
      import('./offline/lineage/dataset-catalog.ts'),
    ]);
    const store = this.config.offlineStorePath;
    return this.tracked(
      await writeDataset(this.config, registry, rest, (id) => `${datasetFolder(store, id)}/dataset.parquet`, {
        ...(name === undefined ? {} : { name }),
        ...(statistics === undefined ? {} : { statistics }),
      }),
    );
  }

  /** The training dataset as Arrow record batches, produced as they are consumed. */
  async getHistoricalFeaturesBatches(request: HistoricalRequest): Promise<HistoricalBatches> {
    const { historicalBatches } = await import('./offline/historical-output.ts');
    return historicalBatches(this.config, await this.registry(), request);
  }

  /** The training dataset as Arrow IPC stream bytes, for `pyarrow.ipc.open_stream` clients. */
  async getHistoricalFeaturesIpcStream(request: HistoricalRequest): Promise<AsyncIterable<Uint8Array>> {
    const { historicalIpcStream } = await import('./offline/historical-output.ts');
    return historicalIpcStream(this.config, await this.registry(), request);
  }

  /** Releases connections held by the store. */
  async close(): Promise<void> {
    // Statistics still being recorded finish first: stopping them would leave a manifest without.
    await Promise.allSettled(this.recordingStatistics.values());
    const online = this.onlineStore;
    this.onlineStore = undefined;
    await Promise.all([online?.close(), this.onDemand.onlineRunner.close(), this.registryStore.close()]);
  }
}
