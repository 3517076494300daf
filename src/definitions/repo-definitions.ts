import { z } from 'zod';
import { type Entity, entitySchema } from './entity.ts';
import { type FeatureService, featureServiceSchema } from './feature-service.ts';
import { type FeatureView, type FeatureViewDefinition, featureViewDefinitionSchema } from './feature-view.ts';
import { type Source, sourceSchema } from './source.ts';

/** The object kinds a repo defines, in the order they are listed and applied. */
export const OBJECT_KINDS = ['entities', 'sources', 'featureViews', 'featureServices'] as const;
export type ObjectKind = (typeof OBJECT_KINDS)[number];

/** Singular names, as used in messages and plans. */
export const OBJECT_KIND_NAMES: Record<ObjectKind, string> = {
  entities: 'entity',
  sources: 'source',
  featureViews: 'featureView',
  featureServices: 'featureService',
};

/** The shape of one YAML definitions file (every list optional). */
export const definitionFileSchema = z
  .strictObject({
    entities: z.array(entitySchema).optional(),
    sources: z.array(sourceSchema).optional(),
    featureViews: z.array(featureViewDefinitionSchema).optional(),
    featureServices: z.array(featureServiceSchema).optional(),
  })
  .meta({
    title: 'Trove feature definitions',
    description: 'Entities, sources, feature views and feature services of a Trove feature repo.',
  });

/**
 * Every object of a repo, each list sorted by name: what the registry stores (views in their
 * registered form), or with `View = FeatureViewDefinition` what the definition files say.
 */
export interface RepoDefinitions<View = FeatureView> {
  entities: Entity[];
  sources: Source[];
  featureViews: View[];
  featureServices: FeatureService[];
}

/** A repo's objects as written, before apply derives what its aggregation views produce. */
export type DefinedObjects = RepoDefinitions<FeatureViewDefinition>;

export type RepoObject = Entity | Source | FeatureView | FeatureService;

export function emptyDefinitions<View = FeatureView>(): RepoDefinitions<View> {
  return { entities: [], sources: [], featureViews: [], featureServices: [] };
}
