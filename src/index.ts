/**
 * Trove's library API: the definition helpers used by feature repos, and the stores for reading
 * training datasets and online features from code.
 */
export {
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
export type { Feature, FeatureView } from './definitions/feature-view.ts';
export type { RepoDefinitions } from './definitions/repo-definitions.ts';
export type { Source } from './definitions/source.ts';
export type { ValueType } from './definitions/value-type.ts';
