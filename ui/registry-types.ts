/** The registry as `GET /registry` returns it: Trove's definitions as stored (see src/definitions). */
export interface Field {
  name: string;
  type: string;
  description?: string;
}

interface Metadata {
  description?: string;
  owner?: string;
  tags?: Record<string, string>;
}

export interface Entity extends Metadata {
  name: string;
  joinKeys: Field[];
}

export interface Source extends Metadata {
  name: string;
  kind: string;
  path?: string;
  timestampField: string;
  createdTimestampField?: string;
  fieldMapping?: Record<string, string>;
}

export interface Aggregation {
  function: string;
  column?: string;
  windows: number[];
  n?: number;
  name?: string;
}

interface ViewBase extends Metadata {
  name: string;
  features: Field[];
  online: boolean;
  offline: boolean;
}

export interface BatchView extends ViewBase {
  kind: 'batch';
  entities: string[];
  source: string;
  ttl: number;
  transformation?: string;
}

export interface AggregationView extends ViewBase {
  kind: 'aggregation';
  entities: string[];
  source: string;
  aggregations: Aggregation[];
  granularity?: number;
  columns?: Field[];
}

export interface OnDemandView extends ViewBase {
  kind: 'onDemand';
  request: Field[];
  inputs: string[];
  mode?: string;
  transform: { module: string; export: string; property?: string };
}

export type FeatureView = BatchView | AggregationView | OnDemandView;

export interface FeatureService extends Metadata {
  name: string;
  features: string[];
}

export interface RegistryObjects {
  entities: Entity[];
  sources: Source[];
  featureViews: FeatureView[];
  featureServices: FeatureService[];
}

export interface RegistryAnswer {
  project: string;
  version: number;
  hash: string;
  appliedAt: string;
  objects: RegistryObjects;
}
