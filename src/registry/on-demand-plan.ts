/**
 * What a request for on-demand features (SPEC §8) needs: the stored features to read (requested
 * ones and every input of the on-demand views, by full name), the on-demand views to run in an
 * order where each runs after the views it reads, and where each requested output comes from.
 * Shared by online reads and training datasets.
 */
import { inputFeatureName, inputViewName } from '../definitions/on-demand/feature-reference.ts';
import type { OnDemandView } from '../definitions/on-demand/on-demand-view.ts';
import type { ValueType } from '../definitions/value-type.ts';
import type { Registry } from './registry.ts';
import { type OutputFeature, outputFeatures, resolveFeatures } from './resolve-features.ts';

/** An input of a step: the name the transform sees it by, and the full name of its column. */
export interface StepInput {
  name: string;
  column: string;
}

/** One on-demand view to run. */
export interface OnDemandStep {
  view: OnDemandView;
  inputs: StepInput[];
}

export interface OnDemandPlan {
  /** Stored features to read, `view:feature`, each once. */
  stored: string[];
  /** The value type of each stored feature read, by `view:feature`. */
  storedTypes: Map<string, ValueType>;
  steps: OnDemandStep[];
  /** Request fields every step needs, with their types, each once. */
  requestFields: { name: string; type: ValueType; view: string }[];
  /** The requested outputs, in order: their name in the answer and the full name of their column. */
  outputs: { outputName: string; column: string; type: ValueType; output: OutputFeature }[];
}

/** The column a view's feature has in a full-names answer. */
export const fullName = (view: string, feature: string): string => `${view}__${feature}`;

/** The plan of a request, or undefined when it asks for no on-demand feature. */
export function planOnDemand(
  registry: Registry,
  request: { features?: readonly string[]; service?: string; fullFeatureNames?: boolean },
): OnDemandPlan | undefined {
  const outputs = outputFeatures(resolveFeatures(registry, request), request.fullFeatureNames ?? false);
  if (!outputs.some((o) => o.view.kind === 'onDemand')) return undefined;
  const stored = new Set<string>();
  const storedTypes = new Map<string, ValueType>();
  const steps: OnDemandStep[] = [];
  const planned = new Set<string>();
  const requestFields = new Map<string, { name: string; type: ValueType; view: string }>();

  /** The columns of an input reference, running its on-demand view first when it is one. */
  const columnsOf = (ref: string): StepInput[] => {
    const viewName = inputViewName(ref);
    const view = registry.featureView(viewName);
    if (!view) throw new Error(`unknown input view ${viewName}`);
    const feature = inputFeatureName(ref);
    const names = feature === '*' ? view.features.map((f) => f.name) : [feature];
    if (view.kind === 'onDemand') plan(view);
    else
      for (const n of names) {
        stored.add(`${viewName}:${n}`);
        const type = view.features.find((f) => f.name === n)?.type;
        if (type) storedTypes.set(`${viewName}:${n}`, type);
      }
    return names.map((name) => ({ name, column: fullName(viewName, name) }));
  };
  // Depth first: a view's inputs are planned (and their steps added) before the view itself.
  const plan = (view: OnDemandView): void => {
    if (planned.has(view.name)) return;
    planned.add(view.name);
    const inputs = view.inputs.flatMap(columnsOf);
    for (const f of view.request)
      if (!requestFields.has(f.name)) requestFields.set(f.name, { ...f, view: view.name });
    steps.push({ view, inputs });
  };
  for (const o of outputs) {
    if (o.view.kind === 'onDemand') plan(o.view);
    else {
      stored.add(`${o.view.name}:${o.feature.name}`);
      storedTypes.set(`${o.view.name}:${o.feature.name}`, o.feature.type);
    }
  }
  return {
    stored: [...stored],
    storedTypes,
    steps,
    requestFields: [...requestFields.values()],
    outputs: outputs.map((o) => ({
      outputName: o.outputName,
      column: fullName(o.view.name, o.feature.name),
      type: o.feature.type,
      output: o,
    })),
  };
}
