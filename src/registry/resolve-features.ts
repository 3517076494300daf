import type { Feature, FeatureView } from '../definitions/feature-view.ts';
import { NotFoundError, TroveError } from '../errors.ts';
import { SHOWN_NAME_LENGTH, showName, showValue } from '../show-value.ts';
import type { Registry } from './registry.ts';

/** The features requested of one view, in request order. */
export interface ViewSelection {
  view: FeatureView;
  features: Feature[];
  /** Where each of `features` stands among all the requested features (for output order). */
  positions: number[];
}

/** What a caller asks for: feature references (`view:feature`, `view:*`) or a feature service. */
export interface FeatureRequest {
  features?: readonly string[];
  service?: string;
}

/** A requested feature with the name it gets in the output. */
export interface OutputFeature {
  view: FeatureView;
  feature: Feature;
  outputName: string;
}

/**
 * Resolves references to views and features, grouped by view in order of first appearance (reads
 * go view by view). A view asked for twice is merged; a feature asked for twice appears once.
 */
export function resolveFeatures(registry: Registry, request: FeatureRequest): ViewSelection[] {
  let refs: readonly string[];
  if (request.service !== undefined) {
    if (request.features && request.features.length > 0) {
      throw new TroveError('INVALID_REQUEST', 'give either features or a feature service, not both');
    }
    const service = registry.featureService(request.service);
    if (!service)
      throw new NotFoundError(
        'UNKNOWN_FEATURE_SERVICE',
        `unknown feature service ${showName(request.service)}`,
      );
    refs = service.features;
  } else {
    refs = request.features ?? [];
  }
  if (refs.length === 0) throw new TroveError('INVALID_REQUEST', 'no features requested');

  const selections = new Map<string, ViewSelection>();
  let position = 0;
  for (const ref of refs) {
    const colon = ref.indexOf(':');
    const viewName = colon < 0 ? ref : ref.slice(0, colon);
    const featureName = colon < 0 ? '*' : ref.slice(colon + 1);
    const view = registry.featureView(viewName);
    if (!view)
      throw new NotFoundError(
        'UNKNOWN_FEATURE_VIEW',
        `unknown feature view ${showName(viewName)} (in ${showValue(ref, SHOWN_NAME_LENGTH)})`,
      );
    let selection = selections.get(viewName);
    if (!selection) {
      selection = { view, features: [], positions: [] };
      selections.set(viewName, selection);
    }
    const wanted = featureName === '*' ? view.features : view.features.filter((f) => f.name === featureName);
    if (wanted.length === 0) {
      throw new NotFoundError(
        'UNKNOWN_FEATURE',
        `feature view ${viewName} has no feature ${showName(featureName)}`,
      );
    }
    for (const f of wanted) {
      if (selection.features.includes(f)) continue;
      selection.features.push(f);
      selection.positions.push(position++);
    }
  }
  return [...selections.values()];
}

/**
 * The selected features in the order they were requested (SPEC §4: training columns follow the
 * request), named `feature`, or `view__feature` with full names. Without full names, two views
 * offering the same feature name is an error naming both.
 */
export function outputFeatures(
  selections: readonly ViewSelection[],
  fullFeatureNames: boolean,
): OutputFeature[] {
  const requested: { view: FeatureView; feature: Feature; position: number }[] = [];
  for (const { view, features, positions } of selections) {
    features.forEach((feature, i) => {
      requested.push({ view, feature, position: positions[i] ?? i });
    });
  }
  requested.sort((a, b) => a.position - b.position);
  const out: OutputFeature[] = [];
  const owner = new Map<string, string>();
  for (const { view, feature } of requested) {
    const outputName = fullFeatureNames ? `${view.name}__${feature.name}` : feature.name;
    const other = owner.get(outputName);
    if (other !== undefined) {
      throw new TroveError(
        'FEATURE_NAME_COLLISION',
        `feature name ${feature.name} is offered by both ${other} and ${view.name}; ask for full feature names`,
      );
    }
    owner.set(outputName, view.name);
    out.push({ view, feature, outputName });
  }
  return out;
}
