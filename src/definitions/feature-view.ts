import { z } from 'zod';
import {
  type AggregationView,
  type AggregationViewDefinition,
  aggregationViewSchema,
  registeredAggregationViewSchema,
} from './aggregation/aggregation-view.ts';
import { checkedFeatureSchema, viewChecksSchema } from './checks/feature-checks.ts';
import { durationSchema } from './duration.ts';
import { identifierSchema, metadataShape } from './identifier.ts';
import {
  type OnDemandView,
  onDemandViewSchema,
  registeredOnDemandViewSchema,
} from './on-demand/on-demand-view.ts';
import { sqlTextSchema } from './sql-text.ts';

export { type Feature, featureSchema } from './feature.ts';

/** A batch feature view: features computed from one source, keyed by entities. */
export const batchFeatureViewSchema = z.strictObject({
  kind: z.literal('batch').default('batch'),
  name: identifierSchema,
  entities: z.array(identifierSchema).min(1, 'a feature view needs at least one entity'),
  source: identifierSchema,
  /** Seconds a value stays valid after its event time; 0 means no limit. */
  ttl: durationSchema.default(0),
  /** Features, each with optional data-quality checks (SPEC §10). */
  features: z.array(checkedFeatureSchema).min(1, 'a feature view needs at least one feature'),
  /** Data-quality checks of the view as a whole (SPEC §10). */
  checks: viewChecksSchema.optional(),
  /**
   * DuckDB SQL over a relation named `source` (the source after field mapping). It must return the
   * join keys, the timestamp field(s) and every feature.
   */
  transformation: sqlTextSchema.optional(),
  online: z.boolean().default(true),
  offline: z.boolean().default(true),
  ...metadataShape,
});
export type BatchFeatureView = z.infer<typeof batchFeatureViewSchema>;

/** What `kind` takes; absent is `batch`. */
const KINDS = 'expected batch (the default), aggregation or onDemand';

/**
 * A feature view as written in a repo, by `kind`: `batch` (the default), `aggregation` (windowed
 * aggregates of events, SPEC §7) or `onDemand` (computed at request time, SPEC §8). All share one
 * name space.
 */
export const featureViewDefinitionSchema = z.discriminatedUnion(
  'kind',
  [batchFeatureViewSchema, aggregationViewSchema, onDemandViewSchema],
  { error: KINDS },
);
/**
 * A feature view as loaded: what the schema gives, with an on-demand view's transform already
 * replaced by its location (the loader knows the file and export it came from).
 */
export type FeatureViewDefinition = BatchFeatureView | AggregationViewDefinition | OnDemandView;

/**
 * A feature view as registered: what `apply` commits and every later stage reads. A batch view is
 * its definition; an aggregation view also carries its features with the types its source gave; an
 * on-demand view names where its transform lives instead of holding it.
 */
export const featureViewSchema = z.discriminatedUnion(
  'kind',
  [batchFeatureViewSchema, registeredAggregationViewSchema, registeredOnDemandViewSchema],
  { error: KINDS },
);
export type FeatureView = BatchFeatureView | AggregationView | OnDemandView;

/** A view that reads a source and stores what it computes: batch or aggregation. */
export type StoredFeatureView = BatchFeatureView | AggregationView;
/** A stored view as written (before apply gives an aggregation view its types). */
export type StoredFeatureViewDefinition = BatchFeatureView | AggregationViewDefinition;

/** What `featureView()` takes: a batch view, `kind` optional. */
export type FeatureViewInput = z.input<typeof batchFeatureViewSchema>;
