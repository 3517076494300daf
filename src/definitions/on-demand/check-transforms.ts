/**
 * Checks, at plan and apply, that every on-demand view's transform can be loaded: its module
 * exists and loads, and its export is a function. A view defined in TypeScript handed the function
 * itself, which its schema checked; a `file.ts#name` reference is imported here.
 */
import type { DefinitionProblem } from '../definition-problem.ts';
import type { LocatedObject } from '../load-definitions.ts';
import { resolveTransform } from './load-transform.ts';
import type { OnDemandView } from './on-demand-view.ts';

export async function checkTransforms(
  repoDir: string,
  objects: readonly LocatedObject[],
): Promise<DefinitionProblem[]> {
  const problems: DefinitionProblem[] = [];
  for (const o of objects) {
    const view = o.value as Partial<OnDemandView> & { name: string };
    if (!o.valid || o.kind !== 'featureViews' || view.kind !== 'onDemand' || view.transform === undefined)
      continue;
    if (view.transform.property !== null) continue;
    const result = await resolveTransform(repoDir, view.transform);
    if ('problem' in result)
      problems.push({
        file: o.file,
        object: `featureView ${view.name}`,
        field: 'transform',
        message: result.problem.reason,
      });
  }
  return problems;
}
