/**
 * What the schema of one on-demand view cannot check: that its inputs exist, that on-demand views
 * do not read each other in a circle, and that every name a transform's row holds means one thing.
 */
import type { DefinitionProblem } from '../definition-problem.ts';
import type { Entity } from '../entity.ts';
import type { FeatureViewDefinition } from '../feature-view.ts';
import { featureNamesOf } from '../view-kinds.ts';
import { inputFeatureName, inputViewName } from './feature-reference.ts';
import type { OnDemandView } from './on-demand-view.ts';

interface Located<T> {
  file: string;
  value: T;
}

export interface OnDemandCheckContext {
  /** Every valid view by name, each with its file. */
  views: ReadonlyMap<string, Located<FeatureViewDefinition>>;
  entities: ReadonlyMap<string, Located<Entity>>;
  /** Whether an object of this kind and name was defined but failed its schema (already reported). */
  invalid: (kind: 'featureViews' | 'entities', name: string) => boolean;
}

/** A join key reached through a view's inputs, with the entity and input view it comes from. */
interface ReachedKey {
  name: string;
  entity: string;
  through: string;
}

/** The shortest chain of on-demand inputs from `start` back to itself, or undefined. */
function cycleThrough(start: string, ctx: OnDemandCheckContext): string[] | undefined {
  const parent = new Map<string, string>();
  let frontier = [start];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const name of frontier) {
      const view = ctx.views.get(name)?.value;
      if (view?.kind !== 'onDemand') continue;
      for (const ref of view.inputs) {
        const input = inputViewName(ref);
        if (ctx.views.get(input)?.value.kind !== 'onDemand') continue;
        if (input === start) {
          const chain = [start];
          for (let at: string | undefined = name; at !== start && at !== undefined; at = parent.get(at))
            chain.unshift(at);
          return [start, ...chain];
        }
        if (parent.has(input)) continue;
        parent.set(input, name);
        next.push(input);
      }
    }
    frontier = next;
  }
  return undefined;
}

/** The join keys of the views an on-demand view reads, through on-demand inputs too, first seen first. */
function reachedKeys(view: OnDemandView, ctx: OnDemandCheckContext): ReachedKey[] {
  const keys = new Map<string, ReachedKey>();
  const seen = new Set<string>();
  const visit = (v: FeatureViewDefinition, through: string) => {
    if (seen.has(v.name)) return;
    seen.add(v.name);
    if (v.kind !== 'onDemand') {
      for (const e of v.entities)
        for (const k of ctx.entities.get(e)?.value.joinKeys ?? [])
          if (!keys.has(k.name)) keys.set(k.name, { name: k.name, entity: e, through });
      return;
    }
    for (const ref of v.inputs) {
      const input = ctx.views.get(inputViewName(ref))?.value;
      if (input) visit(input, through);
    }
  };
  for (const ref of view.inputs) {
    const input = ctx.views.get(inputViewName(ref))?.value;
    if (input) visit(input, input.name);
  }
  return [...keys.values()];
}

/** Every problem of one on-demand view's references and names. */
function checkView(file: string, view: OnDemandView, ctx: OnDemandCheckContext): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const object = `featureView ${view.name}`;
  const add = (field: string, message: string) => problems.push({ file, object, field, message });

  // Input features by the name a row holds them under, with where each came from.
  const inputFeatures = new Map<string, { field: string; ref: string }>();
  view.inputs.forEach((ref, i) => {
    const field = `inputs[${i}]`;
    const viewName = inputViewName(ref);
    const featureName = inputFeatureName(ref);
    const input = ctx.views.get(viewName)?.value;
    if (!input) {
      if (!ctx.invalid('featureViews', viewName)) add(field, `unknown feature view ${viewName}`);
      return;
    }
    if (input.name === view.name) {
      add(field, `an on-demand view cannot read its own features (cycle: ${view.name} → ${view.name})`);
      return;
    }
    const names = featureNamesOf(input);
    if (featureName !== '*' && !names.includes(featureName)) {
      add(field, `feature view ${viewName} has no feature ${featureName}`);
      return;
    }
    for (const name of featureName === '*' ? names : [featureName]) {
      const other = inputFeatures.get(name);
      if (other === undefined) inputFeatures.set(name, { field, ref: `${viewName}:${name}` });
      else if (!other.ref.startsWith(`${viewName}:`))
        add(
          field,
          `input feature ${viewName}:${name} has the same name as ${other.ref} (${other.field}); a transform's row names input features by feature name alone`,
        );
    }
  });

  const cycle = cycleThrough(view.name, ctx);
  if (cycle !== undefined && cycle.length > 2) {
    const first = view.inputs.findIndex((ref) => inputViewName(ref) === cycle[1]);
    add(`inputs[${Math.max(first, 0)}]`, `on-demand views read each other in a cycle: ${cycle.join(' → ')}`);
  }

  const keys = new Map(reachedKeys(view, ctx).map((k) => [k.name, k]));
  const own = new Map(view.features.map((f, i) => [f.name, i]));
  view.request.forEach((r, i) => {
    const field = `request[${i}].name`;
    const key = keys.get(r.name);
    if (key !== undefined)
      add(
        field,
        `request field ${r.name} clashes with join key ${r.name} of entity ${key.entity} (read through input ${key.through}); the caller sends join keys already`,
      );
    if (own.has(r.name))
      add(
        field,
        `request field ${r.name} clashes with feature ${r.name} of this view (features[${own.get(r.name)}])`,
      );
    const input = inputFeatures.get(r.name);
    if (input !== undefined)
      add(field, `request field ${r.name} clashes with input feature ${input.ref} (${input.field})`);
  });
  view.features.forEach((f, i) => {
    const key = keys.get(f.name);
    if (key !== undefined)
      add(
        `features[${i}].name`,
        `feature ${f.name} clashes with join key ${f.name} of entity ${key.entity} (read through input ${key.through})`,
      );
  });
  return problems;
}

/** Checks every valid on-demand view among `ctx.views`. */
export function checkOnDemandViews(ctx: OnDemandCheckContext): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const { file, value } of ctx.views.values())
    if (value.kind === 'onDemand') problems.push(...checkView(file, value, ctx));
  return problems;
}
