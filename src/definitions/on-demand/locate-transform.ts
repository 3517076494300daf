/**
 * Turns an on-demand view as written into its loaded form: `transform` replaced by where it lives,
 * which the loader knows (the definitions file, and for TypeScript the export holding the view).
 */
import type { OnDemandView, OnDemandViewDefinition } from './on-demand-view.ts';
import { locateTransformReference } from './transform-location.ts';

/** Where a definition was found: its file, relative to the repo, and its export name if any. */
export interface DefinitionOrigin {
  file: string;
  /** The module export holding the object; undefined in YAML or when not exported by name. */
  exportName: string | undefined;
}

/** The view with its transform located, or the reason it cannot be (for field `transform`). */
export function locateTransform(
  view: OnDemandViewDefinition,
  origin: DefinitionOrigin,
): { view: OnDemandView } | { problem: string } {
  const { transform, ...rest } = view;
  if (typeof transform === 'string') {
    const location = locateTransformReference(transform, origin.file);
    return 'problem' in location ? location : { view: { ...rest, transform: location } };
  }
  if (origin.exportName === undefined)
    return {
      problem:
        'export the view by name (export const x = onDemandView({...})): its transform is loaded again from that export wherever it runs',
    };
  return {
    view: { ...rest, transform: { module: origin.file, export: origin.exportName, property: 'transform' } },
  };
}
