/**
 * What differs between kinds of feature view, in one place, so each stage asks here instead of
 * testing `kind` itself: the features a definition names and the source columns a view stores.
 * On-demand views store nothing: `isStoredView` tells them apart.
 */
import { aggregationFeatureSpecs } from './aggregation/aggregation-view.ts';
import type {
  BatchFeatureView,
  FeatureView,
  FeatureViewDefinition,
  StoredFeatureView,
} from './feature-view.ts';
import type { ValueType } from './value-type.ts';

/** The feature names a view defines, in definition order (known before apply, unlike aggregation types). */
export function featureNamesOf(view: FeatureViewDefinition): string[] {
  return view.kind === 'aggregation'
    ? aggregationFeatureSpecs(view).map((s) => s.name)
    : view.features.map((f) => f.name);
}

/**
 * The columns a registered view takes from its source besides join keys and timestamps, with
 * their types: a batch view's features, or the columns an aggregation view aggregates.
 */
export function sourceColumnsOf(view: StoredFeatureView): { name: string; type: ValueType }[] {
  return view.kind === 'aggregation' ? view.columns : view.features;
}

/** Whether a view is a batch view (one row per entity and time), as opposed to an aggregation view. */
export function isBatchView(view: FeatureView): view is BatchFeatureView {
  return view.kind === 'batch';
}

/** Whether a view reads a source and stores what it computes (batch, aggregation), unlike on-demand views. */
export function isStoredView(view: FeatureView): view is StoredFeatureView {
  return view.kind !== 'onDemand';
}
