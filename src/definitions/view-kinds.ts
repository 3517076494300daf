/**
 * What differs between kinds of feature view, in one place, so each stage asks here instead of
 * testing `kind` itself: the features a definition names, the source columns a view stores, and
 * which kinds the online store serves.
 */
import { TroveError } from '../errors.ts';
import { aggregationFeatureSpecs } from './aggregation/aggregation-view.ts';
import type { BatchFeatureView, FeatureView, FeatureViewDefinition } from './feature-view.ts';
import type { ValueType } from './value-type.ts';

/** The feature names a view defines, in definition order (known before apply, unlike types). */
export function featureNamesOf(view: FeatureViewDefinition): string[] {
  return view.kind === 'aggregation'
    ? aggregationFeatureSpecs(view).map((s) => s.name)
    : view.features.map((f) => f.name);
}

/**
 * The columns a registered view takes from its source besides join keys and timestamps, with
 * their types: a batch view's features, or the columns an aggregation view aggregates.
 */
export function sourceColumnsOf(view: FeatureView): { name: string; type: ValueType }[] {
  return view.kind === 'aggregation' ? view.columns : view.features;
}

/** Whether the online store serves a view's kind: aggregation views are not served online yet. */
export function servedOnline(view: FeatureView): view is BatchFeatureView {
  return view.kind === 'batch';
}

/** The online stages that refuse views of kinds they do not serve. */
export type OnlineStage = 'read' | 'materialize' | 'push';

const NOT_YET: Record<OnlineStage, string> = {
  read: 'serving aggregation views online is not supported yet; training datasets can use their features',
  materialize: 'materializing aggregation views into the online store is not supported yet',
  push: 'pushing to the source of an aggregation view is not supported yet',
};

/**
 * `view` as a view the online store serves, or a TroveError (400) naming it and what is not
 * supported yet. For `push`, `source` names the push source feeding the view.
 */
export function requireServedOnline(
  view: FeatureView,
  stage: OnlineStage,
  source?: string,
): BatchFeatureView {
  if (servedOnline(view)) return view;
  const subject =
    stage === 'push'
      ? `push source ${source ?? view.source} feeds aggregation view ${view.name}`
      : `feature view ${view.name} is an aggregation view`;
  throw new TroveError('AGGREGATION_VIEW_NOT_ONLINE', `${subject}; ${NOT_YET[stage]}`);
}
