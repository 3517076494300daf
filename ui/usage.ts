/**
 * Where each object is used, worked out from the registry: which views read a source or key on an
 * entity, which services and on-demand views take a view's features, and the join keys and request
 * fields a set of features needs. The lineage graph and the detail pages share it.
 */
import type { FeatureView, Field, RegistryObjects } from './registry-types.ts';

/** `view` or `view:feature` split into its parts. */
export function parseRef(ref: string): { view: string; feature?: string } {
  const at = ref.indexOf(':');
  return at < 0 ? { view: ref } : { view: ref.slice(0, at), feature: ref.slice(at + 1) };
}

export function viewsOfSource(objects: RegistryObjects, source: string): FeatureView[] {
  return objects.featureViews.filter((v) => v.kind !== 'onDemand' && v.source === source);
}

export function viewsOfEntity(objects: RegistryObjects, entity: string): FeatureView[] {
  return objects.featureViews.filter((v) => v.kind !== 'onDemand' && v.entities.includes(entity));
}

/** Names of the views a service reads directly. */
export function viewsOfService(objects: RegistryObjects, service: string): string[] {
  const found = objects.featureServices.find((s) => s.name === service);
  return [...new Set((found?.features ?? []).map((ref) => parseRef(ref).view))];
}

export function servicesOfView(objects: RegistryObjects, view: string): string[] {
  return objects.featureServices
    .filter((s) => s.features.some((ref) => parseRef(ref).view === view))
    .map((s) => s.name);
}

/** On-demand views that take features of `view` as inputs. */
export function onDemandConsumers(objects: RegistryObjects, view: string): string[] {
  return objects.featureViews
    .filter((v) => v.kind === 'onDemand' && v.inputs.some((ref) => parseRef(ref).view === view))
    .map((v) => v.name);
}

/** `view:feature` of every feature a list of references names (a bare view means all its features). */
export function expandRefs(objects: RegistryObjects, refs: readonly string[]): string[] {
  const out: string[] = [];
  for (const ref of refs) {
    const { view, feature } = parseRef(ref);
    if (feature !== undefined) out.push(`${view}:${feature}`);
    else {
      const found = objects.featureViews.find((v) => v.name === view);
      for (const f of found?.features ?? []) out.push(`${view}:${f.name}`);
    }
  }
  return out;
}

/**
 * The entity columns a read of these features needs: the join keys of every stored view read
 * (on-demand views through their inputs) and the request fields of on-demand views, in order.
 */
export function requiredInputs(
  objects: RegistryObjects,
  refs: readonly string[],
): { joinKeys: Field[]; requestFields: Field[] } {
  const joinKeys = new Map<string, Field>();
  const requestFields = new Map<string, Field>();
  const seen = new Set<string>();
  const visit = (viewName: string): void => {
    if (seen.has(viewName)) return;
    seen.add(viewName);
    const view = objects.featureViews.find((v) => v.name === viewName);
    if (!view) return;
    if (view.kind === 'onDemand') {
      for (const f of view.request) if (!requestFields.has(f.name)) requestFields.set(f.name, f);
      for (const input of view.inputs) visit(parseRef(input).view);
      return;
    }
    for (const entityName of view.entities) {
      const entity = objects.entities.find((e) => e.name === entityName);
      for (const k of entity?.joinKeys ?? []) if (!joinKeys.has(k.name)) joinKeys.set(k.name, k);
    }
  };
  for (const ref of refs) visit(parseRef(ref).view);
  return { joinKeys: [...joinKeys.values()], requestFields: [...requestFields.values()] };
}
