/**
 * Trove's library API: the definition helpers used by feature repos, and the stores for reading
 * training datasets and online features from code.
 */

export type { AggregationFunction } from './definitions/aggregation/aggregation-functions.ts';
export type {
  Aggregation,
  AggregationView,
  AggregationViewDefinition,
} from './definitions/aggregation/aggregation-view.ts';
export {
  aggregationView,
  csvSource,
  entity,
  featureService,
  featureView,
  parquetSource,
  pushSource,
  sqlSource,
} from './definitions/definition-helpers.ts';
export type { Entity, JoinKey } from './definitions/entity.ts';
export type { FeatureService } from './definitions/feature-service.ts';
export type {
  BatchFeatureView,
  Feature,
  FeatureView,
  FeatureViewDefinition,
  StoredFeatureView,
} from './definitions/feature-view.ts';
export {
  type OnDemandViewInput,
  type OnDemandViewObject,
  onDemandView,
} from './definitions/on-demand/on-demand-helper.ts';
export type {
  OnDemandView,
  OnDemandViewDefinition,
  RequestField,
} from './definitions/on-demand/on-demand-view.ts';
export type {
  ColumnsTransform,
  RowTransform,
  TransformFunction,
  TransformMode,
  TransformRow,
} from './definitions/on-demand/transform-function.ts';
export type { TransformLocation } from './definitions/on-demand/transform-location.ts';
export type { RepoDefinitions } from './definitions/repo-definitions.ts';
export type { Source } from './definitions/source.ts';
export type { ValueType } from './definitions/value-type.ts';
export { FeatureStore, type FeatureStoreOptions, type OnlineReadOptions } from './feature-store.ts';
export type { ViewMaterialization } from './materialize/materialize.ts';
export type { ComputeOptions, ComputeProgress, ViewComputeResult } from './offline/compute-views.ts';
export type { EntityInput } from './offline/entity-input.ts';
export type { DatasetFile, DatasetFormat, HistoricalBatches } from './offline/historical-output.ts';
export type { HistoricalRequest } from './offline/historical-query.ts';
export type { Instant, TimeInput } from './offline/parse-timestamp.ts';
export type {
  FeatureStatus,
  OnlineFeatureColumn,
  OnlineFeaturesRequest,
  OnlineFeaturesResponse,
} from './online/online-response.ts';
export { OnlineStore } from './online/online-store.ts';
export type { PushRequest, PushResult, PushTarget } from './push/push-rows.ts';
