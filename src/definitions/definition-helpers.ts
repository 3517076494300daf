import type { AggregationViewInput } from './aggregation/aggregation-view.ts';
import type { EntityInput } from './entity.ts';
import type { FeatureServiceInput } from './feature-service.ts';
import type { FeatureViewInput } from './feature-view.ts';
import type { ObjectKind } from './repo-definitions.ts';
import type { SourceInput } from './source.ts';

/**
 * Marks objects built by the helpers so the loader can find them among a module's exports. The
 * mark is a non-enumerable symbol: the objects stay plain and validate like YAML ones.
 */
export const DEFINITION_KIND = Symbol.for('trove.definitionKind');

type Marked<T> = T & { readonly [DEFINITION_KIND]: ObjectKind };

function mark<T extends object>(kind: ObjectKind, value: T): Marked<T> {
  Object.defineProperty(value, DEFINITION_KIND, { value: kind, enumerable: false });
  return value as Marked<T>;
}

export function definitionKindOf(value: unknown): ObjectKind | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  return (value as { [DEFINITION_KIND]?: ObjectKind })[DEFINITION_KIND];
}

type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function entity(def: EntityInput): Marked<EntityInput> {
  return mark('entities', { ...def });
}

export function parquetSource(def: Without<Extract<SourceInput, { kind: 'parquet' }>, 'kind'>) {
  return mark('sources', { kind: 'parquet' as const, ...def });
}

export function csvSource(def: Without<Extract<SourceInput, { kind: 'csv' }>, 'kind'>) {
  return mark('sources', { kind: 'csv' as const, ...def });
}

export function sqlSource(def: Without<Extract<SourceInput, { kind: 'sql' }>, 'kind'>) {
  return mark('sources', { kind: 'sql' as const, ...def });
}

export function pushSource(def: Without<Extract<SourceInput, { kind: 'push' }>, 'kind'>) {
  return mark('sources', { kind: 'push' as const, ...def });
}

export function featureView(def: FeatureViewInput): Marked<FeatureViewInput> {
  return mark('featureViews', { ...def });
}

/** An aggregation view (SPEC §7): windowed aggregates of a source's events per entity. */
export function aggregationView(def: Without<AggregationViewInput, 'kind'>): Marked<AggregationViewInput> {
  return mark('featureViews', { kind: 'aggregation' as const, ...def });
}

export function featureService(def: FeatureServiceInput): Marked<FeatureServiceInput> {
  return mark('featureServices', { ...def });
}
