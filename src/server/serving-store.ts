/**
 * What the HTTP server needs of a feature store. FeatureStore satisfies it structurally; the server
 * depends on this narrow shape so it can be tested with stand-ins (a stalled store, a failing one)
 * and so optional capabilities are feature-detected rather than assumed.
 */

import type { MaterializeLog } from '../materialize/progress.ts';
import type { ViewFreshness } from '../materialize/view-freshness.ts';
import type { DriftReport } from '../offline/drift/compute-drift.ts';
import type { HistoricalRequest } from '../offline/historical-query.ts';
import type { DatasetManifest } from '../offline/lineage/dataset-manifest.ts';
import type { Datasets } from '../offline/lineage/datasets.ts';
import type { DatasetStatistics } from '../offline/statistics/dataset-statistics.ts';
import type { StatisticsRange, ViewStatistics } from '../offline/statistics/view-statistics.ts';
import type { ValidationRecord } from '../offline/validation/validation-record.ts';
import type { OnlineFeaturesRequest, OnlineFeaturesResponse } from '../online/online-response.ts';
import type { PushRequest, PushResult } from '../push/push-rows.ts';
import type { Registry } from '../registry/registry.ts';

export type { PushTarget } from '../push/push-rows.ts';

/** Options of a materialization started over HTTP: progress goes to the server log. */
interface MaterializeRunOptions {
  views?: readonly string[];
  log?: MaterializeLog;
}

export interface ServingStore {
  /** The registry as last applied; re-read when its file changes. */
  registry(): Promise<Registry>;
  getOnlineFeatures(request: OnlineFeaturesRequest): Promise<OnlineFeaturesResponse>;
  materialize(options: { start: Date; end: Date } & MaterializeRunOptions): Promise<unknown>;
  materializeIncremental(options: { end: Date } & MaterializeRunOptions): Promise<unknown>;
  /** Resolves with the push's id (its idempotency key, or one given to it). */
  push(request: PushRequest): Promise<Pick<PushResult, 'pushId'>>;
  /** Training rows as Arrow IPC stream bytes; rejects before the first byte if the request is bad. */
  getHistoricalFeaturesIpcStream(request: HistoricalRequest): Promise<AsyncIterable<Uint8Array>>;
  /** Loads what online reads will need before the first request (optional). */
  prepareOnline?(): Promise<void>;
  /** Resolves when the online store answers; rejects otherwise. */
  pingOnline(): Promise<void>;
  /** Newest event time in the online store per view, for the freshness gauge (optional). */
  newestEventTimes?(): Promise<Record<string, Date | null>>;
  /** The last consistency check's mismatch ratio per view, for its gauge (optional). */
  lastConsistencyChecks?(): Promise<Record<string, { mismatchRatio: number }>>;
  /** The outcome of each view's newest compute, for the data-quality series (optional). */
  validationRecords?(): Promise<ValidationRecord[]>;
  /** Newest online event time and watermark per online view, for the UI (optional). */
  viewFreshness?(): Promise<Record<string, ViewFreshness>>;
  /** Writes a training dataset into the catalog with its manifest, for `POST /datasets` (optional). */
  saveHistoricalFeatures?(
    request: HistoricalRequest & { name?: string; statistics?: boolean },
  ): Promise<{ manifest: DatasetManifest; statisticsRecorded?: Promise<DatasetManifest> }>;
  /** The dataset catalog, for `GET /datasets` (optional). */
  datasets?(): Promise<DatasetCatalog>;
  /** A view's statistics over a range of partitions, for `GET /feature-views/:name/stats` (optional). */
  viewStatistics?(view: string, range: StatisticsRange): Promise<ViewStatistics>;
  /** Drift of views' features against a training dataset of the catalog (optional). */
  drift?(options: {
    dataset: string;
    views: readonly string[];
    start?: string;
    end?: string;
  }): Promise<DriftReport>;
  /** A training dataset's statistics, for `GET /datasets/:id/stats` (optional). */
  datasetStatistics?(idOrName: string): Promise<DatasetStatistics & { dataset: string }>;
  close(): Promise<void>;
}

/** What the server reads of the dataset catalog (offline/lineage/datasets.ts). */
export type DatasetCatalog = Pick<Datasets, 'list' | 'get' | 'verify'>;
